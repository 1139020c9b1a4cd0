import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.KnnVectorsWriter;
import org.apache.lucene.codecs.lucene104.Lucene104Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NoMergePolicy;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SegmentReadState;
import org.apache.lucene.index.SegmentWriteState;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.MMapDirectory;

/**
 * Lucene 10's HNSW on the index benchmark's vectors: a peer run in its own JVM (Lucene 10 needs Java 21+, the
 * project builds for 17), started by IndexBenchmark (--lucene10) or by hand with JDK 25:
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Dorg.apache.lucene.vectorization.upperJavaFeatureVersion=25 \
 *     -cp benchmarks/target/lucene10/lucene-core.jar benchmarks/lucene10/Lucene10Hnsw.java \
 *     build DIR BASE.fvecs l2|ip M EF_CONSTRUCTION
 * ... search DIR QUERIES.fvecs TRUTH.ivecs EF[,EF...] [FILTER_PERCENT]
 * </pre>
 *
 * One segment (no merges), KnnFloatVectorQuery with k = max(10, ef), ids from doc values, as the in-process
 * Lucene 9 engine does; FILTER_PERCENT filters on a term indexed for the documents whose id hash
 * ({@code (id * 2654435761) mod 2^32 mod 100}) is below it. Prints "ef=E recall=R qps=Q" per ef, each timed one
 * query per call for at least 0.4 s after a 2 s warm-up.
 */
public final class Lucene10Hnsw {
    private static final int K = 10;

    public static void main(String[] args) throws Exception {
        if (args.length >= 6 && args[0].equals("build")) {
            build(Path.of(args[1]), Path.of(args[2]), args[3], Integer.parseInt(args[4]), Integer.parseInt(args[5]));
        } else if (args.length >= 5 && args[0].equals("search")) {
            search(Path.of(args[1]), Path.of(args[2]), Path.of(args[3]), args[4],
                    args.length > 5 ? Integer.parseInt(args[5]) : -1);
        } else {
            System.err.println("usage: build DIR BASE.fvecs l2|ip M EFC | search DIR QUERIES TRUTH EFS [FILTER_PERCENT]");
            System.exit(2);
        }
    }

    static boolean passes(int id, int percent) {
        return Integer.remainderUnsigned(id * (int) 2654435761L, 100) < percent;
    }

    /** Lucene's HNSW format with the 1,024-dimension cap raised (the same format, under its own name). */
    static final class UncappedFormat extends KnnVectorsFormat {
        private final KnnVectorsFormat delegate;

        UncappedFormat(int m, int efConstruction) {
            super("Lucene99HnswVectorsFormat");
            delegate = new Lucene99HnswVectorsFormat(m, efConstruction);
        }

        @Override
        public KnnVectorsWriter fieldsWriter(SegmentWriteState state) throws IOException {
            return delegate.fieldsWriter(state);
        }

        @Override
        public KnnVectorsReader fieldsReader(SegmentReadState state) throws IOException {
            return delegate.fieldsReader(state);
        }

        @Override
        public int getMaxDimensions(String fieldName) {
            return 4096;
        }
    }

    static void build(Path dir, Path base, String metric, int m, int efConstruction) throws IOException {
        List<float[]> vectors = readFvecs(base);
        VectorSimilarityFunction similarity = metric.equals("ip") ? VectorSimilarityFunction.DOT_PRODUCT
                : VectorSimilarityFunction.EUCLIDEAN;
        KnnVectorsFormat format = new UncappedFormat(m, efConstruction);
        IndexWriterConfig config = new IndexWriterConfig()
                .setCodec(new Lucene104Codec() {
                    @Override
                    public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                        return format;
                    }
                })
                .setRAMBufferSizeMB(4096)
                .setMaxBufferedDocs(IndexWriterConfig.DISABLE_AUTO_FLUSH)
                .setMergePolicy(NoMergePolicy.INSTANCE)
                .setUseCompoundFile(false);
        long start = System.nanoTime();
        try (MMapDirectory directory = new MMapDirectory(dir); IndexWriter writer = new IndexWriter(directory, config)) {
            for (int id = 0; id < vectors.size(); id++) {
                Document doc = new Document();
                doc.add(new KnnFloatVectorField("v", vectors.get(id), similarity));
                doc.add(new NumericDocValuesField("id", id));
                for (int percent : new int[] {5}) {
                    if (passes(id, percent)) {
                        doc.add(new StringField("filter", "p" + percent, Field.Store.NO));
                    }
                }
                writer.addDocument(doc);
            }
            writer.commit();
        }
        System.out.printf("build_seconds=%.3f n=%d%n", (System.nanoTime() - start) / 1e9, vectors.size());
    }

    static void search(Path dir, Path queriesFile, Path truthFile, String efs, int percent) throws IOException {
        List<float[]> queries = readFvecs(queriesFile);
        List<int[]> truth = readIvecs(truthFile);
        Query filter = percent < 0 ? null : new TermQuery(new Term("filter", "p" + percent));
        try (MMapDirectory directory = new MMapDirectory(dir); DirectoryReader reader = DirectoryReader.open(directory)) {
            IndexSearcher searcher = new IndexSearcher(reader);
            long warmUntil = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < warmUntil) {
                for (float[] q : queries) {
                    ids(searcher, reader, q, 64, filter);
                }
            }
            for (String item : efs.split(",")) {
                int ef = Integer.parseInt(item);
                long hits = 0;
                long start = System.nanoTime();
                for (int q = 0; q < queries.size(); q++) {
                    int[] found = ids(searcher, reader, queries.get(q), ef, filter);
                    for (int f : found) {
                        for (int t : truth.get(q)) {
                            if (f == t) {
                                hits++;
                                break;
                            }
                        }
                    }
                }
                long done = queries.size();
                while (System.nanoTime() - start < 400_000_000L) {
                    for (float[] q : queries) {
                        ids(searcher, reader, q, ef, filter);
                    }
                    done += queries.size();
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("ef=%d recall=%.5f qps=%.1f%n", ef, hits / (double) (queries.size() * K), done / seconds);
            }
        }
    }

    static int[] ids(IndexSearcher searcher, DirectoryReader reader, float[] query, int ef, Query filter)
            throws IOException {
        ScoreDoc[] docs = searcher.search(new KnnFloatVectorQuery("v", query, Math.max(K, ef), filter), K).scoreDocs;
        int[] ids = new int[docs.length];
        List<LeafReaderContext> leaves = reader.leaves();
        for (int i = 0; i < docs.length; i++) {
            LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(docs[i].doc, leaves));
            NumericDocValues values = leaf.reader().getNumericDocValues("id");
            values.advanceExact(docs[i].doc - leaf.docBase);
            ids[i] = (int) values.longValue();
        }
        return ids;
    }

    static List<float[]> readFvecs(Path file) throws IOException {
        List<float[]> out = new ArrayList<>();
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        while (bytes.hasRemaining()) {
            float[] v = new float[bytes.getInt()];
            bytes.asFloatBuffer().get(v);
            bytes.position(bytes.position() + 4 * v.length);
            out.add(v);
        }
        return out;
    }

    static List<int[]> readIvecs(Path file) throws IOException {
        List<int[]> out = new ArrayList<>();
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        while (bytes.hasRemaining()) {
            int[] v = new int[bytes.getInt()];
            bytes.asIntBuffer().get(v);
            bytes.position(bytes.position() + 4 * v.length);
            out.add(v);
        }
        return out;
    }
}
