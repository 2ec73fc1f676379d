using Escalation.ServiceDefaults;

namespace Escalation.UnitTests.Observability;

public sealed class PiiTests
{
    [Theory]
    [InlineData("5.1.1 <hanako.yamada@example.jp>: Recipient address rejected", "5.1.1 <***@example.jp>: Recipient address rejected")]
    [InlineData("call +81-90-1234-5678 now", "call **************78 now")]
    [InlineData("tel 09012345678.", "tel *********78.")]
    [InlineData("a@b.co and c.d@e.org", "***@b.co and ***@e.org")]
    public void Emails_and_phone_numbers_are_masked(string text, string masked) => Assert.Equal(masked, Pii.Redact(text));

    [Theory]
    [InlineData("Connection refused (localhost:2525) after 30000 ms on 2026-11-24")]
    [InlineData("case 01a20c15-d22b-7883-b016-c4e782403ec5 attempt 3")]
    [InlineData("ESC-1042 timed out")]
    public void Text_without_personal_data_is_left_alone(string text) => Assert.Equal(text, Pii.Redact(text));
}
