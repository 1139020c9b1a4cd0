package dev.kindred.imaging;

import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hospital's image model, loaded once from {@link EmbedderSettings#modelPath()} through DJL's
 * {@link Criteria}: a TorchScript file on the PyTorch engine, an ONNX file on ONNX Runtime.
 *
 * <p>The loaded model is shared; a DJL {@link Predictor} is not thread-safe, so each thread that runs the
 * model opens its own {@link Worker} and keeps it. {@link #prepare(byte[])} is thread-safe.
 */
public final class ImageEmbedder implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ImageEmbedder.class);

    static {
        // DJL reads these JVM-wide settings once, when an engine starts. Defaults for a service that must never
        // download anything and shares a few cores with the stream; a launcher's -D flags win.
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("ai.djl.pytorch.num_threads", "1");
        setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
        // TorchScript's profiling executor rewrites the graph after a few calls, so early and later embeddings of
        // one image could differ in their last bits; without it every call runs the same graph.
        setIfAbsent("ai.djl.pytorch.graph_optimizer", "false");
        // ONNX Runtime would otherwise load the PyTorch engine for any NDArray operation it lacks.
        setIfAbsent("ai.djl.onnx.disable_alternative", "true");
    }

    private final EmbedderSettings settings;
    private final ImagePreprocessor preprocessor;
    private final ZooModel<List<float[]>, float[][]> model;

    private ImageEmbedder(EmbedderSettings settings, ZooModel<List<float[]>, float[][]> model) {
        this.settings = settings;
        this.preprocessor = new ImagePreprocessor(settings);
        this.model = model;
    }

    /** Loads the model; fails with {@link FailureReason#MODEL_ERROR} and the cause when it cannot. */
    public static ImageEmbedder load(EmbedderSettings settings) throws ImagingException {
        if (!Files.isReadable(settings.modelPath())) {
            throw new ImagingException(FailureReason.MODEL_ERROR, false,
                    "model file " + settings.modelPath() + " does not exist or cannot be read");
        }
        @SuppressWarnings({"unchecked", "rawtypes"})
        Class<List<float[]>> inputType = (Class) List.class;
        Criteria<List<float[]>, float[][]> criteria = Criteria.builder()
                .setTypes(inputType, float[][].class)
                // The folder and the file name rather than the file: DJL warns about a "non-archive file" otherwise.
                .optModelPath(settings.modelPath().toAbsolutePath().getParent())
                .optModelName(settings.modelPath().getFileName().toString())
                .optEngine(settings.engine())
                .optTranslator(new EmbeddingTranslator(settings))
                // ONNX Runtime session options; the PyTorch engine ignores them and reads ai.djl.pytorch.num_threads.
                .optOption("intraOpNumThreads", Integer.toString(settings.intraOpThreads()))
                .optOption("interOpNumThreads", "1")
                .build();
        long start = System.nanoTime();
        try {
            ZooModel<List<float[]>, float[][]> model = criteria.loadModel();
            log.info("Loaded image model {} on {} in {} ms: {}", settings.modelPath().getFileName(), settings.engine(),
                    (System.nanoTime() - start) / 1_000_000, settings);
            return new ImageEmbedder(settings, model);
        } catch (ModelNotFoundException | MalformedModelException | IOException | RuntimeException e) {
            throw new ImagingException(FailureReason.MODEL_ERROR, false, "cannot load model " + settings.modelPath()
                    + " with engine " + settings.engine() + ": " + rootMessage(e), e);
        }
    }

    public EmbedderSettings settings() {
        return settings;
    }

    /** Decodes and normalizes one encoded image into the model's input layout. Thread-safe. */
    public float[] prepare(byte[] encodedImage) throws ImagingException {
        return preprocessor.prepare(encodedImage);
    }

    /** A predictor for the calling thread. Close it when the thread is done. */
    public Worker newWorker() {
        return new Worker(model.newPredictor());
    }

    /** Embeds one encoded image on a short-lived worker: for tools and tests, not the hot path. */
    public float[] embed(byte[] encodedImage) throws ImagingException {
        float[] prepared = prepare(encodedImage);
        try (Worker worker = newWorker()) {
            return worker.embed(List.of(prepared))[0];
        }
    }

    @Override
    public void close() {
        model.close();
    }

    /** Runs forward passes for one thread. Not thread-safe. */
    public static final class Worker implements AutoCloseable {
        private final Predictor<List<float[]>, float[][]> predictor;

        private Worker(Predictor<List<float[]>, float[][]> predictor) {
            this.predictor = predictor;
        }

        /** One forward pass over prepared images; one embedding per image, in order. */
        public float[][] embed(List<float[]> preparedImages) throws ImagingException {
            if (preparedImages.isEmpty()) {
                return new float[0][];
            }
            try {
                return predictor.predict(preparedImages);
            } catch (TranslateException | RuntimeException e) {
                throw new ImagingException(FailureReason.MODEL_ERROR, false,
                        "the model failed on a batch of " + preparedImages.size() + ": " + rootMessage(e), e);
            }
        }

        @Override
        public void close() {
            predictor.close();
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        // Engine messages can span pages (a TorchScript stack); the first line says what went wrong.
        int newline = message == null ? -1 : message.indexOf('\n');
        return root.getClass().getSimpleName() + ": " + (newline < 0 ? message : message.substring(0, newline));
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
