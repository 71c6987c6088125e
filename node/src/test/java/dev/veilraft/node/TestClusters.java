package dev.veilraft.node;

import dev.veilraft.crypto.attestation.SimulatedSnpVendor;
import dev.veilraft.membership.proto.Genesis;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Test clusters laid out by {@link LocalCluster}, sharing one simulated SEV-SNP vendor (INSECURE,
 * as every simulated vendor) per test JVM.
 *
 * <p>Why: a fresh simulated vendor generates two RSA-4096 key pairs (ARK and ASK), one to several
 * seconds of CPU each, and every {@code LocalCluster.create} in a fresh directory made one. What the
 * tests check does not depend on which vendor signed the chain: each cluster still gets its own
 * genesis, operator keys, node keys and VCEKs, and every join still verifies the whole chain from
 * the ARK the genesis pins. {@code LocalClusterTest} and {@code MainTest} still create vendors
 * through the production path.
 */
public final class TestClusters {
  /** The directory {@link LocalCluster#create} keeps the simulated vendor in, under the cluster root. */
  static final String VENDOR_DIR = "sim-vendor";

  private static Path sharedVendor;

  private TestClusters() {}

  /** {@link LocalCluster#create(Path, int, byte[])} with the JVM's shared simulated vendor. */
  public static LocalCluster.Layout create(Path root, int nodes, byte[] allowedMeasurement) throws IOException {
    Path vendor = seedVendor(root.resolve(VENDOR_DIR));
    return checked(LocalCluster.create(root, nodes, allowedMeasurement), vendor);
  }

  /** {@link LocalCluster#create(Path, int, byte[], List, int, UnaryOperator)} with the JVM's shared simulated vendor. */
  public static LocalCluster.Layout create(Path root, int nodes, byte[] allowedMeasurement, List<String> operators,
      int threshold, UnaryOperator<Genesis.Builder> customize) throws IOException {
    Path vendor = seedVendor(root.resolve(VENDOR_DIR));
    return checked(LocalCluster.create(root, nodes, allowedMeasurement, operators, threshold, customize), vendor);
  }

  /**
   * Copies the JVM's shared simulated vendor into {@code dir} unless {@code dir} already holds a
   * vendor, so that {@link SimulatedSnpVendor#openOrCreate} (the CLI's {@code --sim-vendor} too)
   * opens it instead of generating keys. Returns {@code dir}.
   */
  public static Path seedVendor(Path dir) throws IOException {
    if (Files.exists(dir.resolve("ark.der"))) {
      return dir;
    }
    Path shared = sharedVendor();
    Files.createDirectories(dir);
    try (Stream<Path> files = Files.list(shared)) {
      for (Path file : files.sorted(Comparator.comparing((Path f) -> f.getFileName().toString().equals("ark.der"))
          .thenComparing(Path::toString)).toList()) {
        // ark.der last: its presence marks a complete vendor directory.
        Files.copy(file, dir.resolve(file.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
    return dir;
  }

  private static synchronized Path sharedVendor() throws IOException {
    if (sharedVendor == null) {
      Path dir = Files.createTempDirectory("veilraft-test-vendor-");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir), "test-vendor-cleanup"));
      SimulatedSnpVendor.openOrCreate(dir);
      sharedVendor = dir;
    }
    return sharedVendor;
  }

  /** Fails loudly should LocalCluster move its vendor: the seeded copy would then be silently ignored. */
  private static LocalCluster.Layout checked(LocalCluster.Layout layout, Path seeded) {
    if (!layout.vendorDir().equals(seeded)) {
      throw new IllegalStateException("LocalCluster keeps its simulated vendor in " + layout.vendorDir() + ", not in "
          + seeded + ": update TestClusters.VENDOR_DIR");
    }
    return layout;
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
