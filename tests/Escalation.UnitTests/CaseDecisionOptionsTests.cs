using Escalation.ServiceDefaults;

namespace Escalation.UnitTests;

public sealed class CaseDecisionOptionsTests
{
    [Fact]
    public void Group_commit_settings_below_one_are_refused_at_start_up()
    {
        var defaults = new CaseDecisionOptions();
        Assert.Same(defaults, defaults.Validated());
        var groupingOff = defaults with { MaxCasesPerCommit = 1 };
        Assert.Same(groupingOff, groupingOff.Validated());
        Assert.Contains("MaxCasesPerCommit", Assert.Throws<InvalidOperationException>(() => (defaults with { MaxCasesPerCommit = 0 }).Validated()).Message);
        Assert.Contains("ConcurrentCommits", Assert.Throws<InvalidOperationException>(() => (defaults with { ConcurrentCommits = 0 }).Validated()).Message);
        Assert.Contains("LockWaitMilliseconds", Assert.Throws<InvalidOperationException>(() => (defaults with { LockWaitMilliseconds = 0 }).Validated()).Message);
    }
}
