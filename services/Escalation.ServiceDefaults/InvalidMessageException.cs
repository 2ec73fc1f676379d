namespace Escalation.ServiceDefaults;

/// <summary>
/// A message that can never be processed (it fails validation). The bus does not retry it: it goes straight to the
/// endpoint's <c>_error</c> queue, with this exception's message as the recorded reason.
/// </summary>
public sealed class InvalidMessageException(string message) : Exception(message);
