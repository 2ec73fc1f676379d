using System.CommandLine;

namespace Escalation.Ctl;

/// <summary>The usage rules several commands share, as System.CommandLine validators.</summary>
internal static class Validation
{
    /// <summary>Exactly one of two options (<paramref name="optional"/>: at most one).</summary>
    public static void OneOf(Command command, Option first, Option second, bool optional = false) => command.Validators.Add(result =>
    {
        var given = (result.GetResult(first) is null ? 0 : 1) + (result.GetResult(second) is null ? 0 : 1);
        if (given > 1 || (!optional && given == 0))
        {
            result.AddError($"Give {(optional ? "at most" : "exactly")} one of {first.Name} and {second.Name}.");
        }
    });

    /// <summary>A numeric option, when given, is at least <paramref name="minimum"/>.</summary>
    public static TOption AtLeast<TOption, T>(this TOption option, T minimum, string rule) where TOption : Option<T?> where T : struct, IComparable<T>
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<T?>() is { } value && value.CompareTo(minimum) < 0)
            {
                result.AddError($"{option.Name} must be {rule}.");
            }
        });
        return option;
    }
}
