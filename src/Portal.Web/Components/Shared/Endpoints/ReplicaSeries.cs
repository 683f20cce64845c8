namespace Portal.Web.Components.Shared.Endpoints;

/// <summary>One observation of the endpoint's replica counts, as a status poll read them.</summary>
public sealed record ReplicaSample(DateTimeOffset At, int Ready, int Desired);

/// <summary>
/// The replica chart's data: an in-memory series of the status polls the endpoint page makes while it is open (not the
/// events: the reconciler writes an event per step, not per replica change, and the status holds only the latest
/// counts). Bounded, and a sample equal to the last one only moves the line's end forward.
/// </summary>
public sealed class ReplicaSeries(int capacity = 120)
{
    private readonly List<ReplicaSample> _samples = [];

    public IReadOnlyList<ReplicaSample> Samples => _samples;

    public void Add(ReplicaSample sample)
    {
        // Two equal samples in a row keep the first (where the level started) and the newest (how long it has held).
        if (_samples.Count >= 2 && _samples[^1].Ready == sample.Ready && _samples[^1].Desired == sample.Desired
            && _samples[^2].Ready == sample.Ready && _samples[^2].Desired == sample.Desired)
            _samples[^1] = sample;
        else
            _samples.Add(sample);
        if (_samples.Count > capacity) _samples.RemoveAt(0);
    }
}
