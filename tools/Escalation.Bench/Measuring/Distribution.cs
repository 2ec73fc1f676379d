namespace Escalation.Bench.Measuring;

/// <summary>Percentiles of a sample (nearest rank), in the sample's unit.</summary>
public sealed record Distribution(int Count, double P50, double P95, double P99, double Max)
{
    public static Distribution Of(IEnumerable<double> sample)
    {
        var sorted = sample.Order().ToArray();
        if (sorted.Length == 0) return new Distribution(0, double.NaN, double.NaN, double.NaN, double.NaN);
        return new Distribution(sorted.Length, Rank(sorted, 0.50), Rank(sorted, 0.95), Rank(sorted, 0.99), sorted[^1]);
    }

    /// <summary>The smallest value with at least <paramref name="quantile"/> of the sample at or below it.</summary>
    private static double Rank(double[] sorted, double quantile) =>
        sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
}
