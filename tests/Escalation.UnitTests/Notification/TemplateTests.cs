using Escalation.Notification.Planning;

namespace Escalation.UnitTests.Notification;

public sealed class TemplateTests
{
    private static readonly MessageTemplate Greeting = MessageTemplate.Parse("t", "en", "Subject: [{{reference}}] About {{caseSubject}}\n\nHello {{customerName}},\n\n{{summary}}\nBye\n", "test");

    private static Dictionary<string, string> Values(string subject = "Double charge", string summary = "fine", string name = "Jane") =>
        new() { ["reference"] = "ESC-1", ["caseSubject"] = subject, ["customerName"] = name, ["summary"] = summary };

    [Fact]
    public void Customer_text_is_html_encoded_in_the_html_body_and_kept_verbatim_in_the_text_body()
    {
        var message = Greeting.Render(Values(summary: "<script>alert('x')</script> & \"more\"", name: "<b>Jane</b>"));

        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;", message.Html);
        Assert.Contains("Hello &lt;b&gt;Jane&lt;/b&gt;,", message.Html);
        Assert.DoesNotContain("<script>", message.Html);
        Assert.DoesNotContain("<b>", message.Html);
        Assert.Contains("<script>alert('x')</script> & \"more\"", message.Text);
    }

    [Fact]
    public void A_subject_value_cannot_inject_headers_or_run_on()
    {
        var message = Greeting.Render(Values(subject: "refund\r\nBcc: attacker@example.com\u0007" + new string('x', 300)));

        Assert.DoesNotContain('\r', message.Subject);
        Assert.DoesNotContain('\n', message.Subject);
        Assert.DoesNotContain('\u0007', message.Subject);
        Assert.StartsWith("[ESC-1] About refund Bcc: attacker@example.com", message.Subject);
        Assert.Equal(MessageTemplate.MaxSubjectLength, message.Subject.Length);
        Assert.EndsWith("…", message.Subject);
    }

    [Fact]
    public void The_text_body_keeps_line_breaks_but_drops_other_control_characters()
    {
        var message = Greeting.Render(Values(summary: "line one\r\nline two\u001b[31m"));

        Assert.Contains("line one\nline two[31m\nBye", message.Text);
        Assert.Contains("line one<br>\nline two[31m<br>\nBye", message.Html);
        Assert.Contains("<p>Hello Jane,</p>", message.Html);
    }

    [Fact]
    public void A_template_with_an_unknown_placeholder_or_no_subject_line_is_refused()
    {
        var unknown = Assert.Throws<InvalidOperationException>(() => MessageTemplate.Parse("t", "en", "Subject: {{reference}}\n\nHi {{creditCard}}\n", "bad.en.txt"));
        Assert.Contains("creditCard", unknown.Message);
        var noSubject = Assert.Throws<InvalidOperationException>(() => MessageTemplate.Parse("t", "en", "Hello\n\nbody\n", "bad.en.txt"));
        Assert.Contains("Subject:", noSubject.Message);
    }

    [Fact]
    public void Every_shipped_template_exists_in_english_and_japanese_and_languages_fall_back_to_english()
    {
        foreach (var id in NotificationFixtures.Rules.Rules.Select(r => r.Template).Distinct())
        {
            Assert.Equal("en", NotificationFixtures.Templates.Find(id, "en").Language);
            Assert.Equal("ja", NotificationFixtures.Templates.Find(id, "ja-JP").Language);
            Assert.Equal("en", NotificationFixtures.Templates.Find(id, "fr").Language);
        }
    }
}
