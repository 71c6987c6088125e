package dev.veilraft.bench.curves;

import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.node.Await;
import dev.veilraft.node.LocalCluster;
import dev.veilraft.node.NodeException;
import dev.veilraft.node.VeilraftNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Join latency and key rotation time against group size, with every node in this JVM (simulated
 * TEE): a cluster grows from its founder one attested join at a time. Join latency of group size
 * g is the time {@link VeilraftNode#join} takes for the (g+1)-th node, from its JoinHello to its
 * being a voter that applied the key epoch including it (it also opens the node's store and
 * starts its API, a few milliseconds); then every member sees that epoch. Rotation time of group
 * size g+1 is the time from {@link VeilraftNode#rotateKey} on the founder until every member has
 * applied the new epoch. A first pass warms the JVM up and is not reported.
 */
public final class JoinRotationCurve {
  private static final Duration EPOCH_WAIT = Duration.ofSeconds(60);

  /** One join into a group of {@code joinedGroupSize}, then one rotation in the grown group ({@code rotatedGroupSize}). */
  public record Point(int pass, int joinedGroupSize, double joinMs, int rotatedGroupSize, double rotationMs) {}

  private JoinRotationCurve() {}

  /** Grows a cluster to {@code sizeMax} members {@code passes} times (after one warm-up pass). */
  public static List<Point> run(Path root, int sizeMax, int passes) throws IOException, InterruptedException,
      NodeException {
    List<Point> points = new ArrayList<>();
    for (int pass = 0; pass <= passes; pass++) {
      List<Point> grown = grow(root.resolve("join-pass" + pass), sizeMax, pass);
      if (pass > 0) {
        points.addAll(grown);
      }
    }
    return points;
  }

  private static List<Point> grow(Path root, int sizeMax, int pass) throws IOException, InterruptedException,
      NodeException {
    LocalCluster.Layout layout = LocalCluster.create(root, sizeMax, CodeMeasurement.ofRunningCode(VeilraftNode.class));
    List<VeilraftNode> nodes = new ArrayList<>();
    List<Point> points = new ArrayList<>();
    try {
      nodes.add(VeilraftNode.start(layout.nodes().get(0), Clock.systemUTC()));
      for (int g = 1; g < sizeMax; g++) {
        long started = System.nanoTime();
        VeilraftNode joiner = VeilraftNode.join(layout.nodes().get(g), layout.api(0), Clock.systemUTC(), null);
        double joinMs = (System.nanoTime() - started) / 1e6;
        nodes.add(joiner);
        awaitEpochEverywhere(nodes, joiner.replica().view().epoch());
        VeilraftNode founder = nodes.get(0);
        started = System.nanoTime();
        long epoch = founder.rotateKey();
        awaitEpochEverywhere(nodes, epoch);
        double rotationMs = (System.nanoTime() - started) / 1e6;
        points.add(new Point(pass, g, joinMs, g + 1, rotationMs));
      }
      return points;
    } finally {
      nodes.forEach(VeilraftNode::close);
    }
  }

  private static void awaitEpochEverywhere(List<VeilraftNode> nodes, long epoch) throws InterruptedException,
      IOException {
    if (!Await.until(() -> nodes.stream().allMatch(n -> n.replica().view().epoch() >= epoch), EPOCH_WAIT)) {
      throw new IOException("not every member applied epoch " + epoch + " within " + EPOCH_WAIT);
    }
  }
}
