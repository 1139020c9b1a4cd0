package dev.kindred.benchmarks;

import com.github.jelmerk.hnswlib.core.DistanceFunction;
import com.github.jelmerk.hnswlib.core.DistanceFunctions;
import com.github.jelmerk.hnswlib.core.Item;
import com.github.jelmerk.hnswlib.core.SearchResult;
import com.github.jelmerk.hnswlib.core.hnsw.HnswIndex;
import dev.kindred.index.DistanceMetric;
import dev.kindred.index.HnswParameters;
import dev.kindred.index.IndexSpec;
import dev.kindred.index.IndexTuning;
import dev.kindred.index.Neighbour;
import dev.kindred.index.PayloadCodec;
import dev.kindred.index.Quantization;
import dev.kindred.index.VectorIndex;
import dev.kindred.index.VectorIndexes;
import dev.kindred.topology.index.VectorIndexSnapshot;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.KnnVectorsWriter;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
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
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.MMapDirectory;

/**
 * The in-process index implementations the benchmark compares, behind one small interface. One file of ~500 lines
 * on purpose: the engines are set up side by side so that a reader can check they are configured alike (M,
 * efConstruction, metric, filter); the peers in their own processes are {@link PeerProcess}.
 */
final class Engines {
    static final int M = HnswParameters.DEFAULTS.m();
    static final int EF_CONSTRUCTION = HnswParameters.DEFAULTS.efConstruction();
    /** The selectivity of the filtered searches, in percent. */
    static final int FILTER_PERCENT = 5;

    /** One index implementation under test. Ids are the positions of the base vectors. */
    interface Engine extends AutoCloseable {
        String name();

        void build(float[][] base) throws IOException;

        /** Ids of the approximate top-k with candidate list size {@code ef}. */
        int[] search(float[] query, int k, int ef) throws IOException;

        /**
         * Ids of the approximate top-k among the ids that pass {@link Datasets#passes} at {@code percent}, or null when
         * the engine has no filtered search here.
         */
        default int[] searchFiltered(float[] query, int k, int ef, int percent) throws IOException {
            return null;
        }

        /** Replaces the vector of {@code id} (a changed vector, new version). */
        void upsert(int id, float[] vector) throws IOException;

        /** Makes upserts searchable where that is a separate step (Lucene's reopen); returns the time it took in ns. */
        default long publishUpserts() throws IOException {
            return 0;
        }

        /** Persists the index and opens it again; returns {save ns, load ns, bytes}, or null when not applicable. */
        default long[] restart(Path dir) throws IOException {
            return null;
        }

        @Override
        default void close() throws IOException {
        }
    }

    /** Kindred's index (this project's HNSW graph), with float vectors or quantized codes. */
    static final class Kindred implements Engine {
        private final DistanceMetric metric;
        private final Quantization quantization;
        private final Path vectorDirectory;
        private VectorIndex<Integer> index;
        private final long[] versions;

        Kindred(DistanceMetric metric, Quantization quantization, int n, Path vectorDirectory) {
            this.metric = metric;
            this.quantization = quantization;
            this.vectorDirectory = vectorDirectory;
            this.versions = new long[n];
        }

        @Override
        public String name() {
            return quantization.kind() == Quantization.Kind.NONE ? "Kindred HNSW" : "Kindred HNSW " + quantization;
        }

        VectorIndex<Integer> index() {
            return index;
        }

        private IndexSpec spec() {
            return new IndexSpec(metric, HnswParameters.DEFAULTS, quantization);
        }

        private IndexTuning tuning() {
            return IndexTuning.DEFAULTS.withRecallSampleEvery(0).withVectorDirectory(vectorDirectory);
        }

        @Override
        public void build(float[][] base) {
            index = VectorIndexes.create("bench", spec(), base[0].length, tuning());
            for (int i = 0; i < base.length; i++) {
                index.upsert(key(i), 1, base[i], i);
                versions[i] = 1;
            }
        }

        @Override
        public int[] search(float[] query, int k, int ef) {
            return ids(index.search(query, k, ef, null));
        }

        @Override
        public int[] searchFiltered(float[] query, int k, int ef, int percent) {
            return ids(index.search(query, k, ef, item -> Datasets.passes(item.payload(), percent)));
        }

        static int[] ids(List<Neighbour<Integer>> hits) {
            int[] ids = new int[hits.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = hits.get(i).payload();
            }
            return ids;
        }

        @Override
        public void upsert(int id, float[] vector) {
            index.upsert(key(id), ++versions[id], vector, id);
        }

        @Override
        public long[] restart(Path dir) throws IOException {
            Path file = dir.resolve("kindred.snapshot");
            VectorIndexSnapshot.Identity identity = new VectorIndexSnapshot.Identity("bench", "topic", "int");
            PayloadCodec<Integer> codec = new PayloadCodec<>() {
                @Override
                public String formatId() {
                    return "int";
                }

                @Override
                public byte[] encode(Integer payload) {
                    return new byte[] {(byte) (payload >>> 24), (byte) (payload >>> 16), (byte) (payload >>> 8),
                        (byte) (int) payload};
                }

                @Override
                public Integer decode(byte[] b) {
                    return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
                }
            };
            long t0 = System.nanoTime();
            long bytes = VectorIndexSnapshot.write(file, identity, codec, Map.of(), Map.of("bench", index));
            long t1 = System.nanoTime();
            VectorIndexSnapshot.Contents<Integer> contents = VectorIndexSnapshot.read(file, identity, codec,
                    space -> spec(), space -> "bench", tuning());
            long t2 = System.nanoTime();
            index.close();
            index = contents.indexes().get("bench");
            Files.deleteIfExists(file);
            return new long[] {t1 - t0, t2 - t1, bytes};
        }

        @Override
        public void close() {
            if (index != null) {
                index.close();
            }
        }

        private static String key(int id) {
            return Integer.toString(id);
        }
    }

    /** Brute force over Kindred's index (exact search): the recall oracle, and the floor for speed. */
    static final class Exact implements Engine {
        private final Kindred kindred;

        Exact(Kindred built) {
            this.kindred = built;
        }

        @Override
        public String name() {
            return "exact scan";
        }

        @Override
        public void build(float[][] base) {
            // shares Kindred's vectors
        }

        @Override
        public int[] search(float[] query, int k, int ef) {
            return Kindred.ids(kindred.index().exactSearch(query, k, null));
        }

        @Override
        public int[] searchFiltered(float[] query, int k, int ef, int percent) {
            return Kindred.ids(kindred.index().exactSearch(query, k, item -> Datasets.passes(item.payload(), percent)));
        }

        @Override
        public void upsert(int id, float[] vector) {
            throw new UnsupportedOperationException();
        }
    }

    /** Stock hnswlib-core 1.2.1 as a user would set it up (remove enabled, so upserts replace). */
    static final class Hnswlib implements Engine {
        private final DistanceFunction<float[], Float> distance;
        private final int extraCapacity;
        private HnswIndex<Integer, float[], Vec, Float> index;
        private final long[] versions;

        record Vec(Integer id, float[] vector, long version) implements Item<Integer, float[]> {
            private static final long serialVersionUID = 1L;

            @Override
            public int dimensions() {
                return vector.length;
            }
        }

        Hnswlib(DistanceMetric metric, int n, int extraCapacity) {
            this.distance = switch (metric) {
                case EUCLIDEAN -> DistanceFunctions.FLOAT_EUCLIDEAN_DISTANCE;
                case COSINE -> DistanceFunctions.FLOAT_COSINE_DISTANCE;
                case INNER_PRODUCT -> DistanceFunctions.FLOAT_INNER_PRODUCT;
            };
            this.extraCapacity = extraCapacity;
            this.versions = new long[n];
        }

        @Override
        public String name() {
            return "hnswlib-core 1.2.1";
        }

        @Override
        public void build(float[][] base) {
            index = HnswIndex.<float[], Float>newBuilder(base[0].length, distance, base.length + extraCapacity)
                    .withM(M)
                    .withEfConstruction(EF_CONSTRUCTION)
                    .withEf(10)
                    .withRemoveEnabled()
                    .build();
            for (int i = 0; i < base.length; i++) {
                index.add(new Vec(i, base[i], 1));
                versions[i] = 1;
            }
        }

        @Override
        public int[] search(float[] query, int k, int ef) {
            if (index.getEf() != ef) {
                index.setEf(ef);
            }
            List<SearchResult<Vec, Float>> hits = index.findNearest(query, k);
            int[] ids = new int[hits.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = hits.get(i).item().id();
            }
            return ids;
        }

        @Override
        public void upsert(int id, float[] vector) {
            index.add(new Vec(id, vector, ++versions[id]));
        }

        @Override
        public long[] restart(Path dir) throws IOException {
            Path file = dir.resolve("hnswlib.bin");
            long t0 = System.nanoTime();
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
                index.save(out);
            }
            long t1 = System.nanoTime();
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
                index = HnswIndex.load(in);
            }
            long t2 = System.nanoTime();
            return new long[] {t1 - t0, t2 - t1, Files.size(file)};
        }
    }

    /**
     * Lucene 9.12.3's HNSW: one segment (no merges), KnnFloatVectorQuery, ids from doc values; filtered by a term
     * indexed on the documents that pass {@link Datasets#passes} at {@link #FILTER_PERCENT} (Lucene then searches
     * its graph with the filter's bits and falls back to an exact search when that visits more than the filter
     * holds).
     */
    static final class Lucene implements Engine {
        private final org.apache.lucene.search.Query filter = new org.apache.lucene.search.TermQuery(
                new Term("filter", "p" + FILTER_PERCENT));
        private final VectorSimilarityFunction similarity;
        private final Path dir;
        private MMapDirectory directory;
        private IndexWriter writer;
        private DirectoryReader reader;
        private IndexSearcher searcher;

        Lucene(DistanceMetric metric, Path dir) {
            this.similarity = switch (metric) {
                case EUCLIDEAN -> VectorSimilarityFunction.EUCLIDEAN;
                case COSINE -> VectorSimilarityFunction.COSINE;
                case INNER_PRODUCT -> VectorSimilarityFunction.DOT_PRODUCT;
            };
            this.dir = dir;
        }

        @Override
        public String name() {
            return "Lucene 9.12.3 HNSW";
        }

        /** Lucene 9.12's format with the 1,024-dimension cap raised (the same format, under its own name). */
        private static final class UncappedFormat extends KnnVectorsFormat {
            private final KnnVectorsFormat delegate = new Lucene99HnswVectorsFormat(M, EF_CONSTRUCTION);

            UncappedFormat() {
                super("Lucene99HnswVectorsFormat");
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

        private IndexWriterConfig config() {
            KnnVectorsFormat format = new UncappedFormat();
            return new IndexWriterConfig()
                    .setCodec(new Lucene912Codec() {
                        @Override
                        public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                            return format;
                        }
                    })
                    .setRAMBufferSizeMB(4096)
                    .setMaxBufferedDocs(IndexWriterConfig.DISABLE_AUTO_FLUSH)
                    .setMergePolicy(NoMergePolicy.INSTANCE)
                    .setUseCompoundFile(false);
        }

        private Document doc(int id, float[] vector) {
            Document doc = new Document();
            doc.add(new KnnFloatVectorField("v", vector, similarity));
            doc.add(new NumericDocValuesField("id", id));
            doc.add(new StringField("key", Integer.toString(id), Field.Store.NO));
            if (Datasets.passes(id, FILTER_PERCENT)) {
                doc.add(new StringField("filter", "p" + FILTER_PERCENT, Field.Store.NO));
            }
            return doc;
        }

        @Override
        public void build(float[][] base) throws IOException {
            Files.createDirectories(dir);
            directory = new MMapDirectory(dir);
            writer = new IndexWriter(directory, config());
            for (int i = 0; i < base.length; i++) {
                writer.addDocument(doc(i, base[i]));
            }
            writer.commit();
            reader = DirectoryReader.open(writer);
            searcher = new IndexSearcher(reader);
        }

        @Override
        public int[] search(float[] query, int k, int ef) throws IOException {
            return ids(searcher.search(new KnnFloatVectorQuery("v", query, Math.max(k, ef)), k));
        }

        @Override
        public int[] searchFiltered(float[] query, int k, int ef, int percent) throws IOException {
            if (percent != FILTER_PERCENT) {
                return null;
            }
            return ids(searcher.search(new KnnFloatVectorQuery("v", query, Math.max(k, ef), filter), k));
        }

        private int[] ids(TopDocs top) throws IOException {
            ScoreDoc[] docs = top.scoreDocs;
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

        @Override
        public void upsert(int id, float[] vector) throws IOException {
            writer.updateDocument(new Term("key", Integer.toString(id)), doc(id, vector));
        }

        @Override
        public long publishUpserts() throws IOException {
            long t0 = System.nanoTime();
            DirectoryReader changed = DirectoryReader.openIfChanged(reader, writer);
            long t1 = System.nanoTime();
            if (changed != null) {
                reader.close();
                reader = changed;
                searcher = new IndexSearcher(reader);
            }
            return t1 - t0;
        }

        @Override
        public long[] restart(Path ignored) throws IOException {
            long t0 = System.nanoTime();
            writer.commit();
            long t1 = System.nanoTime();
            reader.close();
            reader = DirectoryReader.open(directory);
            searcher = new IndexSearcher(reader);
            long t2 = System.nanoTime();
            long bytes;
            try (Stream<Path> files = Files.list(dir)) {
                bytes = files.mapToLong(p -> p.toFile().length()).sum();
            }
            return new long[] {t1 - t0, t2 - t1, bytes};
        }

        @Override
        public void close() throws IOException {
            if (reader != null) {
                reader.close();
            }
            if (writer != null) {
                writer.close();
            }
            if (directory != null) {
                directory.close();
            }
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private Engines() {
    }
}
