package dev.kindred.index.hnsw;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeQueueTest {

    @Test
    void encodingKeepsTheOrderOfDistancesIncludingNegativeOnes() {
        float[] distances = {-3.5f, -0.0001f, 0f, 1e-30f, 0.5f, 2f, 1e30f, Float.POSITIVE_INFINITY};
        for (int i = 1; i < distances.length; i++) {
            assertThat(NodeQueue.encode(7, distances[i - 1])).isLessThan(NodeQueue.encode(7, distances[i]));
            assertThat(NodeQueue.distance(NodeQueue.encode(i, distances[i]))).isEqualTo(distances[i]);
            assertThat(NodeQueue.node(NodeQueue.encode(i, distances[i]))).isEqualTo(i);
        }
    }

    @Test
    void minAndMaxHeapsPopInOrder() {
        Random random = new Random(5);
        NodeQueue min = new NodeQueue(4, false);
        NodeQueue max = new NodeQueue(4, true);
        List<Float> values = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            float d = (float) random.nextGaussian();
            values.add(d);
            min.push(i, d);
            max.push(i, d);
        }
        values.sort(null);
        for (int i = 0; i < values.size(); i++) {
            assertThat(NodeQueue.distance(min.pop())).isEqualTo(values.get(i));
            assertThat(NodeQueue.distance(max.pop())).isEqualTo(values.get(values.size() - 1 - i));
        }
        assertThat(min.isEmpty()).isTrue();
        assertThat(max.isEmpty()).isTrue();
    }
}
