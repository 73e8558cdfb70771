using System.Security.Cryptography;
using System.Text;

namespace K8sSecurity.Engine.Connection;

/// <summary>
/// Sends a header as several lines of the same name, as Go's net/http does for every value added with
/// Header.Add (client-go's one Impersonate-Group line per group). .NET writes all values of one header on one
/// line joined by ", ", which a Go server reads as one value: a group "a, b" instead of the groups a and b. So the
/// transport adds such a header as one value whose parts are joined by a marker (a random token of this client),
/// and <see cref="Filter"/>, on the plaintext side of each HTTP/1.1 connection, turns every marker back into a line
/// break and the header's name. Requests that carry a marker are sent as HTTP/1.1 (an HTTP/2 header block is
/// compressed, so no marker could be found in it).
/// </summary>
internal sealed class RepeatedHeaderLines
{
    private const int IndexDigits = 4;
    private const int MinimumSplitMarker = 8;
    private readonly byte[] prefix;
    private readonly string prefixText;
    private readonly Dictionary<int, byte[]> replacements = new();
    private readonly Dictionary<string, int> indexes = new(StringComparer.OrdinalIgnoreCase);

    public RepeatedHeaderLines()
    {
        prefixText = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant() + "~";
        prefix = Encoding.ASCII.GetBytes(prefixText);
    }

    /// <summary>One value standing for the lines <paramref name="name"/>: <paramref name="values"/>[0], [1], …</summary>
    public string Join(string name, IReadOnlyList<string> values)
    {
        if (values.Count == 1)
        {
            return values[0];
        }

        int index;
        lock (replacements)
        {
            if (!indexes.TryGetValue(name, out index))
            {
                index = indexes.Count;
                indexes[name] = index;
                replacements[index] = Encoding.ASCII.GetBytes("\r\n" + name + ": ");
            }
        }

        return string.Join(prefixText + index.ToString("x" + IndexDigits, System.Globalization.CultureInfo.InvariantCulture), values);
    }

    /// <summary>Wraps the plaintext stream of a connection (SocketsHttpHandler.PlaintextStreamFilter).</summary>
    public Stream Filter(Stream plaintext) => new MarkerStream(plaintext, this);

    /// <summary>The bytes with every marker replaced by its line break and header name; null when there is no marker.</summary>
    internal byte[]? Rewrite(ReadOnlySpan<byte> data)
    {
        int first = data.IndexOf(prefix);
        if (first < 0)
        {
            ThrowIfSplit(data);
            return null;
        }

        var output = new List<byte>(data.Length + 64);
        int position = 0;
        for (int found = first; found >= 0; found = IndexOf(data, position))
        {
            int indexStart = found + prefix.Length;
            if (indexStart + IndexDigits > data.Length
                || !int.TryParse(data.Slice(indexStart, IndexDigits), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out int index)
                || !TryReplacement(index, out byte[] replacement))
            {
                throw new IOException("a request header could not be written as separate lines (incomplete marker); the request was not sent.");
            }

            output.AddRange(data[position..found]);
            output.AddRange(replacement);
            position = indexStart + IndexDigits;
        }

        output.AddRange(data[position..]);
        ThrowIfSplit(data[position..]);
        return output.ToArray();
    }

    private int IndexOf(ReadOnlySpan<byte> data, int from)
    {
        int next = data[from..].IndexOf(prefix);
        return next < 0 ? -1 : from + next;
    }

    private bool TryReplacement(int index, out byte[] replacement)
    {
        lock (replacements)
        {
            return replacements.TryGetValue(index, out replacement!);
        }
    }

    // A marker cut in two by the end of a write would reach the server as text: fail instead (HttpConnection writes
    // a request's head with one write, so this does not happen).
    private void ThrowIfSplit(ReadOnlySpan<byte> data)
    {
        for (int length = Math.Min(prefix.Length - 1, data.Length); length >= MinimumSplitMarker; length--)
        {
            if (data[^length..].SequenceEqual(prefix.AsSpan(0, length)))
            {
                throw new IOException("a request header could not be written as separate lines (marker split between writes); the request was not sent.");
            }
        }
    }

    private sealed class MarkerStream(Stream inner, RepeatedHeaderLines lines) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => inner.Read(buffer);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            byte[]? rewritten = lines.Rewrite(buffer);
            inner.Write(rewritten ?? buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            byte[]? rewritten = lines.Rewrite(buffer.Span);
            return rewritten is null ? inner.WriteAsync(buffer, cancellationToken) : inner.WriteAsync(rewritten, cancellationToken);
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
