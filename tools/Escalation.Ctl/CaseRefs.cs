using System.CommandLine;
using System.CommandLine.Parsing;
using Escalation.Contracts.History.V1;

namespace Escalation.Ctl;

/// <summary>The case argument: a case id (UUID) or a human reference (ESC-1042).</summary>
internal static class CaseRefs
{
    public static Argument<CaseRef> CreateArgument() => new("case")
    {
        Description = "The case id (a UUID) or reference (e.g. ESC-1042)",
        CustomParser = Parse,
    };

    private static CaseRef? Parse(ArgumentResult result)
    {
        var text = result.Tokens[0].Value.Trim();
        if (Guid.TryParse(text, out var caseId))
        {
            return new CaseRef { CaseId = caseId.ToString() };
        }

        if (text.Length == 0)
        {
            result.AddError("The case must be a case id (UUID) or a reference such as ESC-1042.");
            return null;
        }

        return new CaseRef { Reference = text };
    }
}
