using System.CommandLine;
using Escalation.Contracts.History.V1;

namespace Escalation.Ctl.Commands;

/// <summary>`erase-customer &lt;customer-id&gt;`: masks a customer's personal data in the event store (needs platform:admin).</summary>
internal static class EraseCustomerCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var customer = new Argument<string>("customer-id") { Description = "The customer id the channels sent (customer.id)" };
        var command = new Command("erase-customer",
            "Erase a customer's name, email, texts and addresses from every case that names them (right to erasure); " +
            "see docs/security.md for what is and is not covered") { customer };
        command.SetAction((parse, cancellation) => HistoryService.RunAsync(parse, globals, cancellation, async (channel, output) =>
        {
            var erased = await new HistoryAdmin.HistoryAdminClient(channel)
                .EraseCustomerAsync(new EraseCustomerRequest { CustomerId = parse.GetRequiredValue(customer) }, cancellationToken: cancellation);
            if (output.Json)
            {
                output.WriteJson(erased);
            }
            else
            {
                output.WriteLine($"erased at {Rendering.Time(erased.ErasedAt)} from {erased.CaseIds.Count} case(s): {string.Join(", ", erased.CaseIds)}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
