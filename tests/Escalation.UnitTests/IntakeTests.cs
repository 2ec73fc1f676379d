using Escalation.Contracts.Cases;
using Escalation.Intake.Contacts.ReceiveContact;
using static Escalation.UnitTests.CaseFixtures;

namespace Escalation.UnitTests;

public sealed class ReceiveContactTests
{
    private static readonly CaseRef NewCase = new(CaseId, "ESC-1000");

    [Fact]
    public void A_new_conversation_opens_a_ticket_then_records_the_contact()
    {
        var events = ReceiveContact.Decide(existing: null, NewCase, Inbound("My order never arrived") with { Category = " Shipping " }, Now);

        Assert.Collection(events,
            first =>
            {
                var opened = Assert.IsType<TicketOpened>(first);
                Assert.Equal("ESC-1000", opened.Reference);
                Assert.Equal("shipping", opened.Category);
                Assert.Equal("My order never arrived", opened.Subject);
            },
            second => Assert.Equal("m-1", Assert.IsType<ContactReceived>(second).ContactId));
    }

    [Fact]
    public void A_contact_on_an_open_conversation_is_appended_to_that_case_only()
    {
        var existing = new CaseRef(Guid.NewGuid(), "ESC-7");

        var events = ReceiveContact.Decide(existing, NewCase, Inbound(), Now);

        var received = Assert.IsType<ContactReceived>(Assert.Single(events));
        Assert.Equal(existing.CaseId, received.CaseId);
    }

    [Fact]
    public void A_long_first_message_is_cut_to_a_subject_line()
    {
        var events = ReceiveContact.Decide(null, NewCase, Inbound(new string('x', 200)), Now);

        Assert.Equal(81, Assert.IsType<TicketOpened>(events[0]).Subject.Length);
    }

    [Fact]
    public void Validation_names_every_field_at_fault()
    {
        var contact = Inbound("") with { ContactId = " ", BotConfidence = 1.5, Customer = Customer() with { Language = "" } };

        var errors = ContactValidation.Validate(contact);

        Assert.Equal(["botConfidence", "contactId", "customer.language", "text"], errors.Keys.Order());
    }

    [Fact]
    public void A_valid_contact_has_no_errors()
    {
        Assert.Empty(ContactValidation.Validate(Inbound("hello")));
    }
}
