using System.Text.Json.Nodes;
using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Intake;
using Escalation.Intake;
using Escalation.Intake.Cases;
using Escalation.Intake.Cases.ManageLifecycle;
using Escalation.Intake.Contacts.ReceiveContact;
using static Escalation.UnitTests.CaseFixtures;

namespace Escalation.UnitTests;

public sealed class ReceiveContactTests
{
    private static readonly CaseRef NewCase = new(CaseId, "ESC-1000");
    private static readonly TimeSpan Window = TimeSpan.FromDays(7);

    private static IntakeCase Ended(CaseStatus status, DateTimeOffset at) => status switch
    {
        CaseStatus.Resolved => IntakeCase.Create(Opened()).Apply(new CaseResolved(CaseId, "fixed", "agent", at)),
        _ => IntakeCase.Create(Opened()).Apply(new CaseResolved(CaseId, "fixed", "agent", at)).Apply(new CaseClosed(CaseId, at)),
    };

    [Fact]
    public void A_new_conversation_opens_a_ticket_then_records_the_contact()
    {
        var events = ReceiveContact.Decide(current: null, NewCase, Inbound("My order never arrived") with { Category = " Shipping " }, Now);

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
    public void A_contact_on_an_open_case_is_appended_to_that_case_only()
    {
        var open = IntakeCase.Create(Opened()) with { Id = Guid.NewGuid() };

        var events = ReceiveContact.Decide(open, NewCase, Inbound(), Now);

        var received = Assert.IsType<ContactReceived>(Assert.Single(events));
        Assert.Equal(open.Id, received.CaseId);
        Assert.False(ReceiveContact.NeedsNewCase(open, Window, Now));
    }

    [Theory]
    [InlineData(CaseStatus.Resolved)]
    [InlineData(CaseStatus.Closed)]
    public void A_customer_writing_within_the_window_reopens_the_ended_case(CaseStatus status)
    {
        var ended = Ended(status, Now - Window);

        Assert.False(ReceiveContact.NeedsNewCase(ended, Window, Now));
        var events = ReceiveContact.Decide(ended, NewCase, Inbound("It broke again"), Now);

        Assert.Collection(events,
            first => Assert.Equal("m-1", Assert.IsType<CaseReopened>(first).ContactId),
            second => Assert.IsType<ContactReceived>(second));
    }

    [Fact]
    public void An_agent_message_on_an_ended_case_does_not_reopen_it()
    {
        var events = ReceiveContact.Decide(Ended(CaseStatus.Closed, Now), NewCase, Inbound("Glad it works") with { Author = AuthorKind.Agent }, Now);

        Assert.IsType<ContactReceived>(Assert.Single(events));
    }

    [Fact]
    public void Past_the_window_the_conversation_gets_a_new_case()
    {
        Assert.True(ReceiveContact.NeedsNewCase(Ended(CaseStatus.Closed, Now - Window - TimeSpan.FromSeconds(1)), Window, Now));
        Assert.True(ReceiveContact.NeedsNewCase(current: null, Window, Now));
    }

    [Fact]
    public void A_long_first_message_is_cut_to_a_subject_line()
    {
        var events = ReceiveContact.Decide(null, NewCase, Inbound(new string('x', 200)), Now);

        Assert.Equal(81, Assert.IsType<TicketOpened>(events[0]).Subject.Length);
    }

    [Fact]
    public void The_conversation_is_per_channel_and_customer()
    {
        var contact = Inbound();

        Assert.NotEqual(ReceiveContact.ConversationKey(contact), ReceiveContact.ConversationKey(contact with { Customer = Customer() with { Id = "other" } }));
        Assert.NotEqual(ReceiveContact.ConversationKey(contact), ReceiveContact.ConversationKey(contact with { Channel = Channel.Email }));
    }
}

public sealed class ContactValidationTests
{
    [Fact]
    public void Validation_names_every_field_at_fault()
    {
        var contact = Inbound("") with
        {
            ContactId = " ",
            BotConfidence = 1.5,
            Channel = Channel.Unspecified,
            OccurredAt = Now.AddHours(1),
            Customer = Customer() with { Language = "english", Email = "not-an-address" },
            Entities = new ContactEntities(Amount: new MoneyAmount(-5, "yen")),
        };

        var errors = ContactValidation.Validate(contact, Now);

        Assert.Equal(
            ["botConfidence", "channel", "contactId", "customer.email", "customer.language", "entities.amount.amount", "entities.amount.currency", "occurredAt", "text"],
            errors.Keys.Order());
    }

    [Fact]
    public void Batch_items_are_reported_with_their_index()
    {
        var errors = ContactValidation.Validate(Inbound(""), Now, "contacts[3].");

        Assert.Equal(["contacts[3].text"], errors.Keys);
    }

    [Fact]
    public void A_valid_contact_with_every_optional_field_has_no_errors()
    {
        var contact = Inbound("hello") with
        {
            Subject = "Billing", Category = "billing.refund", BotConfidence = 0.2, Intent = new IntentMatch("refund", false),
            Sentiment = new SentimentScore(-0.4, "channel"), Entities = new ContactEntities("A-1", new MoneyAmount(5400, "JPY"), "router"),
            TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", OccurredAt = Now.AddMinutes(4),
        };

        Assert.Empty(ContactValidation.Validate(contact, Now));
    }

    [Fact]
    public void The_committed_JSON_schema_is_the_one_generated_from_the_contract()
    {
        var committed = Path.Combine(RepositoryRoot(), "contracts", "Escalation.Contracts", "Intake", "inbound-contact.schema.json");
        var generated = InboundContactSchema.Generate();
        if (Environment.GetEnvironmentVariable("ESCALATION_WRITE_SCHEMA") == "1")
        {
            File.WriteAllText(committed, generated);
        }

        Assert.True(File.Exists(committed), "Run the tests once with ESCALATION_WRITE_SCHEMA=1 to write the schema.");
        Assert.Equal(generated, File.ReadAllText(committed));
    }

    [Fact]
    public void The_schema_states_required_fields_enums_and_limits()
    {
        var schema = JsonNode.Parse(InboundContactSchema.Generate())!;

        Assert.Equal(["author", "channel", "contactId", "conversationId", "customer", "occurredAt", "text"],
            schema["required"]!.AsArray().Select(n => n!.GetValue<string>()).Order());
        Assert.Equal(["id", "language", "tier"], schema["properties"]!["customer"]!["required"]!.AsArray().Select(n => n!.GetValue<string>()).Order());
        Assert.Equal(Enum.GetNames<Channel>().Skip(1), schema["properties"]!["channel"]!["enum"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(ContactLimits.MaxTextLength, schema["properties"]!["text"]!["maxLength"]!.GetValue<int>());
    }

    private static string RepositoryRoot()
    {
        var directory = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(directory, "Escalation.Platform.sln")))
        {
            directory = Path.GetDirectoryName(directory) ?? throw new InvalidOperationException("Repository root not found.");
        }

        return directory;
    }
}

public sealed class CaseLifecycleTests
{
    private static readonly IntakeCase Open = IntakeCase.Create(Opened());

    [Fact]
    public void An_open_case_resolves_then_closes_on_confirmation()
    {
        var resolved = CaseLifecycle.Decide(Open, new ResolveCase(CaseId, "r-1", "Refunded", "agent-7"), Now);
        var state = Open.Apply((CaseResolved)resolved.Events.Single());

        var closed = CaseLifecycle.Decide(state, new CloseCase(CaseId, "c-1", "customer"), Now);

        Assert.IsType<CaseClosed>(Assert.Single(closed.Events));
        Assert.Equal(CaseStatus.Resolved, state.Status);
    }

    [Fact]
    public void Closing_an_unresolved_case_and_resolving_twice_are_refused_with_a_reason()
    {
        Assert.Contains("not resolved", CaseLifecycle.Decide(Open, new CloseCase(CaseId, "c-1", null), Now).Conflict);
        var resolved = Open.Apply(new CaseResolved(CaseId, "x", null, Now));
        Assert.Contains("already resolved", CaseLifecycle.Decide(resolved, new ResolveCase(CaseId, "r-2", "again", null), Now).Conflict);
    }

    [Fact]
    public void Attempts_are_recorded_until_the_case_is_closed()
    {
        var attempt = new RecordResolutionAttempt(CaseId, "a-1", "Reset router", AttemptOutcome.Failed, "bot", Now);
        var closed = Open.Apply(new CaseResolved(CaseId, "x", null, Now)).Apply(new CaseClosed(CaseId, Now));

        Assert.Equal("Reset router", Assert.IsType<ResolutionAttempted>(Assert.Single(CaseLifecycle.Decide(Open, attempt, Now).Events)).Step);
        Assert.NotNull(CaseLifecycle.Decide(closed, attempt, Now).Conflict);
    }

    [Fact]
    public void Commands_are_validated_field_by_field()
    {
        var errors = CaseLifecycle.Validate(new RecordResolutionAttempt(CaseId, "", "", AttemptOutcome.Unspecified, null, Now.AddDays(1)), Now);

        Assert.Equal(["attemptedAt", "attemptId", "outcome", "step"], errors.Keys.Order());
    }
}

public sealed class ContactGroupsTests
{
    private static readonly IReadOnlySet<string> None = new HashSet<string>();

    private static PendingContact Waiting(string contactId, string conversationId = "conv-1", string? idempotencyKey = null) =>
        new(Inbound() with { ContactId = contactId, ConversationId = conversationId }, $"cause-{contactId}", idempotencyKey, origin: null);

    [Fact]
    public void Contacts_of_different_conversations_share_a_commit_in_arrival_order()
    {
        var waiting = new[] { Waiting("m-1", "a"), Waiting("m-2", "b"), Waiting("m-3", "c") };

        Assert.Equal(waiting, ContactGroups.Together(waiting, None, None));
    }

    [Fact]
    public void Only_the_first_contact_of_a_conversation_joins_so_the_next_one_sees_its_case()
    {
        var first = Waiting("m-1", "a");
        var together = ContactGroups.Together([first, Waiting("m-2", "a"), Waiting("m-3", "b")], None, None);

        Assert.Equal(["m-1", "m-3"], together.Select(pending => pending.Contact.ContactId));
    }

    [Fact]
    public void Copies_of_one_contact_and_contacts_recorded_before_are_left_to_be_deduplicated_alone()
    {
        var recorded = new HashSet<string> { ReceiveContact.ContactKey(Waiting("m-2", "b").Contact) };
        var together = ContactGroups.Together([Waiting("m-1", "a"), Waiting("m-1", "a"), Waiting("m-2", "b"), Waiting("m-3", "c")], recorded, None);

        Assert.Equal(["m-1", "m-3"], together.Select(pending => pending.Contact.ContactId));
    }

    [Fact]
    public void A_used_or_repeated_idempotency_key_is_left_to_the_lone_path_that_refuses_or_answers_it()
    {
        var together = ContactGroups.Together(
            [Waiting("m-1", "a", "key-1"), Waiting("m-2", "b", "key-1"), Waiting("m-3", "c", "key-used"), Waiting("m-4", "d")],
            None, new HashSet<string> { "key-used" });

        Assert.Equal(["m-1", "m-4"], together.Select(pending => pending.Contact.ContactId));
    }

    [Fact]
    public void Group_commit_settings_below_one_are_refused_at_start_up()
    {
        var defaults = new IntakeOptions();
        Assert.Same(defaults, defaults.Validated());
        Assert.Throws<InvalidOperationException>(() => new IntakeOptions { MaxContactsPerCommit = 0 }.Validated());
        Assert.Throws<InvalidOperationException>(() => new IntakeOptions { ConcurrentCommits = 0 }.Validated());
        Assert.Throws<InvalidOperationException>(() => new IntakeOptions { InboundConcurrency = 0 }.Validated());
        Assert.Throws<InvalidOperationException>(() => new IntakeOptions { GroupLockWaitMilliseconds = 0 }.Validated());
    }

    [Fact]
    public void A_contact_left_out_still_holds_its_conversation_so_a_later_one_does_not_overtake_it()
    {
        var recorded = new HashSet<string> { ReceiveContact.ContactKey(Waiting("m-1", "a").Contact) };
        var together = ContactGroups.Together([Waiting("m-1", "a"), Waiting("m-2", "a")], recorded, None);

        Assert.Empty(together);
    }
}
