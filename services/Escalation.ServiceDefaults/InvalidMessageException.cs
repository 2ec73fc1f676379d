namespace Escalation.ServiceDefaults;

/// <summary>
/// A message that can never be processed (it fails validation). The bus does not retry it: it goes straight to the
/// endpoint's <c>_error</c> queue, with this exception's message as the recorded reason.
/// </summary>
public sealed class InvalidMessageException(string message) : Exception(message)
{
    /// <summary>"Invalid {message}: field: reason; field: reason": what the error queue's MT-Fault-Message shows.</summary>
    public static InvalidMessageException For(string messageName, IReadOnlyDictionary<string, string[]> errors) =>
        new($"Invalid {messageName}: " + string.Join("; ", errors.Select(error => $"{error.Key}: {string.Join(" ", error.Value)}")));
}
