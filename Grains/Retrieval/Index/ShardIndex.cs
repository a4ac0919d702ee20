// One Lucene.Net index on disk per shard. Writes go through one IndexWriter for the shard's lifetime; searches see
// them at once through a near-real-time reader; Commit makes them durable (an index reopens at its last commit).
using Lucene.Net.Analysis;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using LuceneDirectory = Lucene.Net.Store.Directory;

namespace Pastanoodles.Retrieval.Index;

/// <summary>A BM25 shard of the course index: stores each chunk's id, source, page, start and text, and its dense vector
/// (little-endian floats) with the encoder's name when the chunk has one.</summary>
public sealed class ShardIndex : IDisposable
{
    public const string IdField = "id", SourceField = "source", PageField = "page", StartField = "start", TextField = "text",
        VectorField = "vector", EncoderField = "encoder";

    private static readonly Sort s_scoreThenId = new(SortField.FIELD_SCORE, new SortField(IdField, SortFieldType.STRING));

    private readonly LuceneDirectory _directory;
    private readonly IndexWriter _writer;
    private readonly object _readerLock = new();
    private DirectoryReader _reader;

    public ShardIndex(string path, Analyzer analyzer, Similarity similarity)
    {
        Path = path;
        Similarity = similarity;
        System.IO.Directory.CreateDirectory(path);
        _directory = FSDirectory.Open(path);
        try
        {
            _writer = new IndexWriter(_directory, new IndexWriterConfig(LuceneVersion.LUCENE_48, analyzer)
            {
                Similarity = similarity,
                OpenMode = OpenMode.CREATE_OR_APPEND,
                RAMBufferSizeMB = 64,
                // ExpungeDeletes leaves no deleted document behind (the default allows 10 %), so maxDoc, which BM25 counts, is the live count.
                MergePolicy = new TieredMergePolicy { ForceMergeDeletesPctAllowed = 0 },
            });
        }
        catch (LockObtainFailedException e)
        {
            _directory.Dispose();
            throw new IOException(
                $"Shard index '{path}' is locked by another writer. HINT: stop the other pastanoodles process using this index.", e);
        }
        _reader = DirectoryReader.Open(_writer, applyAllDeletes: true);
    }

    public string Path { get; }

    public Similarity Similarity { get; }

    /// <summary>Adds a chunk, or replaces the chunk with the same id.</summary>
    public void Upsert(CorpusChunk chunk) => _writer.UpdateDocument(new Term(IdField, chunk.Id), ToDocument(chunk));

    /// <summary>Deletes every chunk of <paramref name="source"/> (before the file is ingested again).</summary>
    public void DeleteSource(string source) => _writer.DeleteDocuments(new Term(SourceField, source));

    public void Commit() => _writer.Commit();

    /// <summary>Commits with <paramref name="userData"/> stored in the commit point (read back by <see cref="CommittedUserData"/>).</summary>
    public void Commit(IDictionary<string, string> userData)
    {
        _writer.SetCommitData(userData);
        _writer.Commit();
    }

    /// <summary>The user data of the last commit (empty for a new index or one committed without any).</summary>
    public IDictionary<string, string> CommittedUserData => _writer.CommitData ?? new Dictionary<string, string>();

    /// <summary>Deletes every chunk (before a rebuild).</summary>
    public void DeleteAll() => _writer.DeleteAll();

    /// <summary>Merges away deleted documents, so collection statistics count live chunks only, as a fresh index of them would.</summary>
    public void ExpungeDeletes() => _writer.ForceMergeDeletes(doWait: true);

    /// <summary>The current reader, reopened if the writer changed anything, with its reference count raised:
    /// the caller must call <see cref="Release"/> when done (Lucene's SearcherManager Acquire/Release contract).</summary>
    public DirectoryReader Acquire()
    {
        lock (_readerLock)
        {
            var newer = DirectoryReader.OpenIfChanged(_reader, _writer, applyAllDeletes: true);
            if (newer is not null)
            {
                _reader.DecRef();
                _reader = newer;
            }
            _reader.IncRef();
            return _reader;
        }
    }

    public static void Release(DirectoryReader reader) => reader.DecRef();

    /// <summary>The top <paramref name="k"/> chunks of this shard for <paramref name="query"/>, scored with <paramref name="stats"/>.</summary>
    public List<(CorpusChunk Chunk, float Score)> Search(Query query, DirectoryReader reader, CollectionStats stats, int k)
    {
        var searcher = new GlobalStatsSearcher(reader, stats, Similarity);
        // Ties broken by chunk id, not by document number: the cut at k then picks the same chunks however the
        // collection is sharded, and CorpusEngine.Merge uses the same order.
        var top = searcher.Search(query, null, k, s_scoreThenId, doDocScores: true, doMaxScore: false);
        var hits = new List<(CorpusChunk, float)>(top.ScoreDocs.Length);
        foreach (var scoreDoc in top.ScoreDocs)
            hits.Add((FromDocument(searcher.Doc(scoreDoc.Doc)), scoreDoc.Score));
        return hits;
    }

    /// <summary>Every live chunk in this shard, in document order.</summary>
    public IEnumerable<CorpusChunk> AllChunks()
    {
        var reader = Acquire();
        try
        {
            var liveDocs = MultiFields.GetLiveDocs(reader);
            for (var doc = 0; doc < reader.MaxDoc; doc++)
                if (liveDocs is null || liveDocs.Get(doc))
                    yield return FromDocument(reader.Document(doc));
        }
        finally
        {
            Release(reader);
        }
    }

    /// <summary>Live chunks in this shard.</summary>
    public int Count
    {
        get
        {
            var reader = Acquire();
            try { return reader.NumDocs; }
            finally { Release(reader); }
        }
    }

    private static Document ToDocument(CorpusChunk chunk)
    {
        Document doc =
        [
            new StringField(IdField, chunk.Id, Field.Store.YES),
            new SortedDocValuesField(IdField, new BytesRef(chunk.Id)),
            new StringField(SourceField, chunk.Source, Field.Store.YES),
            new Int32Field(PageField, chunk.Page, Field.Store.YES),
            new StoredField(StartField, chunk.Start),
            new TextField(TextField, chunk.Text, Field.Store.YES),
        ];
        if (chunk is { Vector: { } vector, Encoder: { } encoder })
        {
            doc.Add(new StoredField(VectorField, System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan()).ToArray()));
            doc.Add(new StoredField(EncoderField, encoder));
        }
        return doc;
    }

    private static CorpusChunk FromDocument(Document doc)
    {
        var bytes = doc.GetBinaryValue(VectorField);
        var vector = bytes is null ? null : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.Bytes.AsSpan(bytes.Offset, bytes.Length)).ToArray();
        return new(
            doc.Get(IdField),
            doc.Get(SourceField),
            doc.GetField(PageField).GetInt32Value() ?? 0,
            doc.GetField(StartField).GetInt32Value() ?? 0,
            doc.Get(TextField),
            vector,
            vector is null ? null : doc.Get(EncoderField));
    }

    public void Dispose()
    {
        lock (_readerLock)
            _reader.DecRef();
        _writer.Dispose();
        _directory.Dispose();
    }
}
