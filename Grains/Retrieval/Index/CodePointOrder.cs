namespace Pastanoodles.Retrieval.Index;

/// <summary>Orders strings by Unicode code point, which is the UTF-8 byte order Lucene sorts terms and doc values in
/// (<see cref="StringComparer.Ordinal"/> compares UTF-16 units and differs above U+D7FF).</summary>
public sealed class CodePointOrder : IComparer<string>
{
    public static readonly CodePointOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        var a = x.EnumerateRunes();
        var b = y.EnumerateRunes();
        while (true)
        {
            var hasA = a.MoveNext();
            var hasB = b.MoveNext();
            if (!hasA || !hasB)
                return hasA.CompareTo(hasB);
            var order = a.Current.Value.CompareTo(b.Current.Value);
            if (order != 0)
                return order;
        }
    }
}
