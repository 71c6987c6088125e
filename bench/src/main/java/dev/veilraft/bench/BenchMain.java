package dev.veilraft.bench;

import dev.veilraft.bench.cluster.BenchCluster;
import dev.veilraft.bench.cluster.ConfidentialCluster;
import dev.veilraft.bench.cluster.EtcdCluster;
import dev.veilraft.bench.cluster.PlaintextCluster;
import dev.veilraft.bench.load.LoadGenerator;
import dev.veilraft.bench.load.PooledTarget;
import dev.veilraft.bench.report.Results;
import dev.veilraft.client.EventBundler;
import dev.veilraft.client.NodeHttp;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code veilraft bench}: the cluster benchmark of issue 9. Starts a plaintext baseline cluster
 * and a confidential veilraft cluster (each node its own JVM on loopback), drives both from this
 * JVM with a closed-loop load, alternating modes, and prints one line per measured point:
 * {@code bench mode=M conc=C size=B ops_per_s=X p50_ms=Y p99_ms=Z}, then
 * {@code bench ratio conc=C value=R}. Writes {@code bench.json} and PNG charts to {@code --out}.
 * Other flags add the scaling curves. Numbers are printed, never asserted.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    subcommands = dev.veilraft.bench.apps.AppsBench.class,
    description = {"Cluster benchmark: plaintext Ratis baseline against confidential veilraft, each node its own JVM.",
        "Prints 'bench mode=M conc=C size=B ops_per_s=X p50_ms=Y p99_ms=Z' per point and 'bench ratio conc=C value=R'."})
public final class BenchMain implements Callable<Integer> {
  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m)");
  private static final List<String> MODES = List.of("plaintext", "confidential", "confidential-b", "etcd");
  private static final int QUICK_CONCURRENCY = 64;
  private static final int QUICK_SIZE = 256;
  private static final String QUICK_DURATION = "15s";
  /** Event sizes accepted: the genesis default limits.event_bytes_max is 64 KiB, the issue asks for 64 B to 16 KiB. */
  private static final int SIZE_BYTES_MAX = 60 * 1024;
  private static final int CONCURRENCY_MAX = 4096;

  @Option(names = "--quick", description = "Concurrency 64 only, 256 B, 15 s per mode after warm-up.")
  boolean quick;

  @Option(names = "--conc", split = ",", defaultValue = "1,8,64,256", description = "Puts in flight (default ${DEFAULT-VALUE}).")
  List<Integer> concurrencies;

  @Option(names = "--size", split = ",", defaultValue = "256", description = "Value bytes per put, 64 to 16384 (default ${DEFAULT-VALUE}); several give the event-size curve.")
  List<Integer> sizes;

  @Option(names = "--duration", defaultValue = "30s", description = "Measured time per point and mode (default ${DEFAULT-VALUE}).")
  String duration;

  @Option(names = "--warmup", defaultValue = "5s", description = "Load before each measured window, not counted (default ${DEFAULT-VALUE}).")
  String warmup;

  @Option(names = "--cluster-warmup", defaultValue = "150s", description = "Load at concurrency 64 after each cluster starts, not counted: the JIT compilers take a core for about two minutes (default ${DEFAULT-VALUE}).")
  String clusterWarmup;

  @Option(names = "--nodes", split = ",", defaultValue = "3", description = "Cluster sizes (default ${DEFAULT-VALUE}); several give the cluster-size curve.")
  List<Integer> nodeCounts;

  @Option(names = "--modes", split = ",", defaultValue = "plaintext,confidential", description = "Modes to measure: plaintext, confidential, confidential-b (an A/B build, --compare-jar), etcd (the reference: etcd through its gRPC API) (default ${DEFAULT-VALUE}).")
  List<String> modes;

  @Option(names = "--repeat", defaultValue = "1", description = "Runs of each point per mode, alternating (default ${DEFAULT-VALUE}).")
  int repeat;

  @Option(names = "--batch", defaultValue = "1", description = "Most puts grouped into one call and log entry, 1 to 64 (default ${DEFAULT-VALUE}: no grouping).")
  int batch;

  @Option(names = "--rate", paramLabel = "PUTS_PER_S", description = "Open loop: issue puts at this rate whatever the"
      + " cluster answers, each put's latency counted from when it was due (for p99 at a given load, e.g. half the"
      + " saturating one); --conc then bounds the puts in flight. Default: a closed loop of --conc puts. The cluster"
      + " warm-up stays a closed loop at 64.")
  Double rate;

  @Option(names = "--calls", description = "Most calls in flight when grouping (default: concurrency / batch, rounded up).")
  Integer calls;

  @Option(names = "--keys", defaultValue = "10000", description = "Distinct keys written round-robin (default ${DEFAULT-VALUE}).")
  int keys;

  @Option(names = "--out", defaultValue = "bench-results", description = "Directory for bench.json, charts and profiles (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--work-dir", description = "Where the nodes keep their data (default: a new directory under --out).")
  Path workDir;

  @Option(names = "--keep-work", description = "Keep the nodes' data directories and logs after the run.")
  boolean keepWork;

  @Option(names = "--node-jar", description = "The veilraft node jar (default: node/target/veilraft.jar next to this jar's"
      + " bench/target, else under the working directory).")
  Path nodeJar;

  @Option(names = "--jvm-opts", defaultValue = "-Xmx512m -XX:+UseSerialGC", description = "JVM options of every server JVM, both modes (default ${DEFAULT-VALUE}).")
  String jvmOptions;

  @Option(names = "--compare-jar", description = "The node jar of mode confidential-b (default: the same as confidential), an"
      + " A/B comparison: prints 'bench ratio-b conc=C value=R' (b / confidential).")
  Path compareJar;

  @Option(names = "--compare-jvm-opts", description = "JVM options of mode confidential-b's nodes (default: --jvm-opts).")
  String compareJvmOptions;

  @Option(names = "--sealing", defaultValue = "session", description = "How mode confidential's clients seal requests: session"
      + " (one HPKE context per epoch, AES-GCM-SIV per request) or single-shot (one HPKE context per request; what node"
      + " jars before client sessions understand). Default ${DEFAULT-VALUE}.")
  String sealing;

  @Option(names = "--compare-sealing", description = "How mode confidential-b's clients seal requests (default: --sealing);"
      + " single-shot for a --compare-jar built before client sessions.")
  String compareSealing;

  @Option(names = "--event-requests", paramLabel = "N", description = "Event requests each of mode confidential's clients"
      + " keeps unanswered; more wait and go as bundles (default: the SDK's, "
      + EventBundler.REQUESTS_IN_FLIGHT_MAX + ").")
  Integer eventRequests;

  @Option(names = "--compare-event-requests", paramLabel = "N", description = "The same for mode confidential-b's clients"
      + " (default: --event-requests).")
  Integer compareEventRequests;

  @Option(names = "--put-previous", description = "Confidential puts ask for the previous value in their answer (the kv"
      + " app's default), which exactly-once then keeps until acknowledged. Default: they do not, like etcd's puts"
      + " (no prev_kv) and the plaintext baseline's.")
  boolean putPrevious;

  @Option(names = "--etcd-bin", defaultValue = "/usr/bin/etcd", description = "The etcd binary of mode etcd, a reference point (default ${DEFAULT-VALUE}).")
  Path etcdBinary;

  @Option(names = "--plaintext-tls", description = "Run the baseline's peer traffic over mutual TLS too (veilraft always does).")
  boolean plaintextTls;

  @Option(names = "--profile", description = "Record JFR in every server JVM and in this one over each measured window; print where the CPU went.")
  boolean profile;

  @Option(names = "--async-profiler", description = "Profile every server JVM and this one over each measured window with "
      + "async-profiler (CPU samples from perf events, with native and kernel frames and threads; Linux); save collapsed "
      + "stacks and print where the CPU went. Sees RocksDB's native code and the kernel, which --profile does not.")
  boolean asyncProfiler;

  @Option(names = "--curves-only", description = "Skip the throughput points; run only the curves asked for.")
  boolean curvesOnly;

  @Option(names = "--join", paramLabel = "N", description = "Curve: join latency and key rotation time against group size, growing to N members (in this JVM).")
  Integer joinMembersMax;

  @Option(names = "--snapshot", split = ",", paramLabel = "MB", description = "Curve: snapshot install throughput of a new member against state size in MB (in this JVM).")
  List<Long> snapshotMegabytes;

  @Option(names = "--memory", split = ",", paramLabel = "MB", description = "Curve: heap and RSS per node against state size in MB (server JVMs, both modes).")
  List<Long> memoryMegabytes;

  private final PrintStream stdout;
  private final Results results = new Results();
  /** Every cluster started and not yet closed: a shutdown hook stops them, so Ctrl-C leaves no server behind. */
  private final List<BenchCluster> running = java.util.Collections.synchronizedList(new ArrayList<>());
  private Path runDir;
  /** The profiler of every measured window, or null. */
  private WindowProfiler profiler;
  private Path benchJarCopy;
  private Path nodeJarCopy;
  private Path compareJarCopy;

  BenchMain(PrintStream stdout) {
    this.stdout = stdout;
  }

  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    int code = new CommandLine(new BenchMain(System.out)).execute(args);
    System.exit(code);
  }

  @Override
  public Integer call() throws Exception {
    try {
      validate();
    } catch (IllegalArgumentException e) {
      stdout.println("bench FAILED bad usage: " + e.getMessage());
      return 2;
    }
    Thread cleanup = new Thread(this::closeAll, "bench-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      run();
      return 0;
    } catch (Exception e) {
      stdout.println("bench FAILED " + (e.getMessage() == null ? e.toString() : e.getMessage()).replace('\n', ' '));
      return 1;
    } finally {
      closeAll();
      Runtime.getRuntime().removeShutdownHook(cleanup);
      if (runDir != null && !keepWork) {
        Files.walk(runDir).sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private void closeAll() {
    List<BenchCluster> open;
    synchronized (running) {
      open = new ArrayList<>(running);
      running.clear();
    }
    open.forEach(BenchCluster::close);
  }

  private void validate() {
    if (quick) {
      concurrencies = List.of(QUICK_CONCURRENCY);
      sizes = List.of(QUICK_SIZE);
      duration = QUICK_DURATION;
    }
    for (String mode : modes) {
      if (!MODES.contains(mode)) {
        throw new IllegalArgumentException("--modes: '" + mode + "' is not one of " + MODES);
      }
    }
    if (profile && asyncProfiler) {
      throw new IllegalArgumentException("--profile and --async-profiler each profile every window: choose one");
    }
    singleShot(sealing);
    if (compareSealing != null) {
      singleShot(compareSealing);
    }
    eventRequests(eventRequests);
    eventRequests(compareEventRequests);
    if (eventRequests != null && !modes.contains("confidential") && !modes.contains("confidential-b")) {
      throw new IllegalArgumentException("--event-requests needs mode confidential or confidential-b in --modes");
    }
    if (!modes.contains("confidential-b") && (compareJar != null || compareJvmOptions != null
        || compareSealing != null || compareEventRequests != null)) {
      throw new IllegalArgumentException("--compare-jar, --compare-jvm-opts, --compare-sealing and "
          + "--compare-event-requests need mode confidential-b in --modes");
    }
    for (int c : concurrencies) {
      if (c < 1 || c > CONCURRENCY_MAX) {
        throw new IllegalArgumentException("--conc: " + c + " is outside 1.." + CONCURRENCY_MAX);
      }
    }
    for (int s : sizes) {
      if (s < 1 || s > SIZE_BYTES_MAX) {
        throw new IllegalArgumentException("--size: " + s + " is outside 1.." + SIZE_BYTES_MAX);
      }
    }
    for (int n : nodeCounts) {
      if (n < 1 || n > dev.veilraft.node.LocalCluster.MEMBERS_MAX) {
        throw new IllegalArgumentException("--nodes: " + n + " is outside 1.." + dev.veilraft.node.LocalCluster.MEMBERS_MAX);
      }
    }
    if (batch < 1 || batch > LoadGenerator.BATCH_MAX) {
      throw new IllegalArgumentException("--batch: " + batch + " is outside 1.." + LoadGenerator.BATCH_MAX);
    }
    if (rate != null && !(rate > 0 && rate <= LoadGenerator.RATE_MAX)) {
      throw new IllegalArgumentException("--rate: " + rate + " is outside (0, " + LoadGenerator.RATE_MAX + "] puts/s");
    }
    if (repeat < 1 || keys < 1 || (calls != null && calls < 1)) {
      throw new IllegalArgumentException("--repeat, --keys and --calls must be at least 1");
    }
    if (joinMembersMax != null && (joinMembersMax < 2 || joinMembersMax > dev.veilraft.node.LocalCluster.MEMBERS_MAX)) {
      throw new IllegalArgumentException("--join: " + joinMembersMax + " is outside 2.." + dev.veilraft.node.LocalCluster.MEMBERS_MAX);
    }
    parseDuration(duration, "--duration");
    parseDuration(warmup, "--warmup");
    parseDuration(clusterWarmup, "--cluster-warmup");
  }

  static Duration parseDuration(String text, String option) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(option + ": '" + text + "' is not a duration such as 500ms, 15s or 2m");
    }
    long value = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(value);
      case "s" -> Duration.ofSeconds(value);
      default -> Duration.ofMinutes(value);
    };
  }

  private void run() throws Exception {
    Files.createDirectories(out);
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    runDir = (workDir != null ? workDir : out).resolve("work-" + stamp);
    Files.createDirectories(runDir);
    prepareJars();
    if (profile) {
      profiler = new WindowProfiler.Jfr(out.resolve("profiles"));
    } else if (asyncProfiler) {
      profiler = new WindowProfiler.Async(out.resolve("profiles"), WindowProfiler.Async.extractLibrary());
    }
    recordConditions();
    if (!curvesOnly) {
      throughput();
    }
    new Curves(stdout, results, runDir).run(joinMembersMax, snapshotMegabytes, memoryMegabytes, this::startCluster);
    results.write(out.resolve("bench.json"));
    Reports.charts(results, out);
    if (profiler != null) {
      Reports.profiles(profiler, stdout);
    }
    stdout.println("bench results " + out.resolve("bench.json").toAbsolutePath());
  }

  /**
   * Copies the node jar and this jar into the run directory: another build may replace them
   * during a long run, and the genesis allows exactly the node jar measured at the start.
   */
  private void prepareJars() throws IOException {
    Path self = Path.of("bench/target/benchmarks.jar");
    try {
      Path running = Path.of(BenchMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isRegularFile(running)) {
        self = running;
      }
    } catch (java.net.URISyntaxException | SecurityException e) {
      // Fall back to the default build location.
    }
    Path node = nodeJar;
    if (node == null) {
      Path besideBench = self.toAbsolutePath().getParent().resolve("../../node/target/veilraft.jar").normalize();
      node = Files.isRegularFile(besideBench) ? besideBench : Path.of("node/target/veilraft.jar");
    }
    if (!Files.isRegularFile(node)) {
      throw new IOException(node + " does not exist: build it with mvn -q -DskipTests package");
    }
    Path jars = Files.createDirectories(runDir.resolve("jars"));
    nodeJarCopy = Files.copy(node, jars.resolve("veilraft.jar"), StandardCopyOption.REPLACE_EXISTING);
    results.condition("node_jar", node.toAbsolutePath().toString());
    compareJarCopy = nodeJarCopy;
    if (compareJar != null) {
      compareJarCopy = Files.copy(compareJar, jars.resolve("veilraft-b.jar"), StandardCopyOption.REPLACE_EXISTING);
      results.condition("compare_jar", compareJar.toAbsolutePath().toString());
    }
    if (compareJvmOptions != null) {
      results.condition("compare_jvm_options", compareJvmOptions);
    }
    if (!Files.isRegularFile(self)) {
      throw new IOException(self + " does not exist: build the bench module (mvn -q -DskipTests package)");
    }
    benchJarCopy = Files.copy(self, jars.resolve("benchmarks.jar"), StandardCopyOption.REPLACE_EXISTING);
  }

  private List<String> jvmOptionList() {
    return split(jvmOptions);
  }

  private static List<String> split(String options) {
    return options.isBlank() ? List.of() : Arrays.asList(options.trim().split("\\s+"));
  }

  private void recordConditions() {
    results.condition("started", LocalDateTime.now().toString());
    results.condition("cores", Runtime.getRuntime().availableProcessors());
    results.condition("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    results.condition("load_average_at_start", ClusterBench.loadAverage());
    results.condition("server_jvm_options", jvmOptions);
    results.condition("batch_max", batch);
    results.condition("calls_max", calls == null ? "concurrency / batch" : calls);
    results.condition("load", rate == null ? "closed loop of --conc puts" : "open loop at " + rate
        + " puts/s, latency from when each put was due, at most --conc in flight");
    results.condition("keys", keys);
    results.condition("clients_per_cluster", clients());
    results.condition("clients_per_point", "one per " + PooledTarget.PUTS_PER_CLIENT + " puts in flight of the point; "
        + "each put goes to the first client with fewer in flight");
    results.condition("duration", duration);
    results.condition("warmup", warmup);
    results.condition("plaintext_peer_tls", plaintextTls);
    results.condition("profiler", profile ? "JFR (profile settings) in every JVM over each measured window"
        : asyncProfiler ? "async-profiler (cpu, 1 ms) in every JVM over each measured window; perf_event_paranoid="
            + perfEventParanoid() : "none");
    results.condition("sealing", sealing);
    results.condition("compare_sealing", compareSealing != null ? compareSealing : sealing);
    results.condition("event_requests", eventRequests != null ? eventRequests
        : EventBundler.REQUESTS_IN_FLIGHT_MAX);
    results.condition("compare_event_requests", compareEventRequests != null ? compareEventRequests
        : eventRequests != null ? eventRequests : EventBundler.REQUESTS_IN_FLIGHT_MAX);
    results.condition("confidential", "simulated TEE (INSECURE), attested joins, peer mTLS, HPKE-sealed kv puts over "
        + "HTTPS to the leader's API, encrypted RocksDB state");
    results.condition("confidential_puts", putPrevious ? "answer with the previous value"
        : "answer without the previous value (omit_previous)");
    results.condition("plaintext", "same Ratis properties (RaftConsensus.properties), in-memory map state machine, "
        + "Ratis async client from this JVM");
    stdout.printf(Locale.ROOT, "bench config cores=%d jvm_opts='%s' batch=%d keys=%d duration=%s warmup=%s%s load=%s%n",
        Runtime.getRuntime().availableProcessors(), jvmOptions, batch, keys, duration, warmup,
        rate == null ? "" : String.format(Locale.ROOT, " rate=%.0f/s (open loop)", rate), ClusterBench.loadAverage());
  }

  BenchCluster startCluster(String mode, int size, Path root) throws Exception {
    long started = System.nanoTime();
    BenchCluster cluster = switch (mode) {
      case "plaintext" -> PlaintextCluster.start(root, benchJarCopy, size, jvmOptionList(), plaintextTls, clients());
      case "confidential" -> ConfidentialCluster.start(mode, root, nodeJarCopy, size, jvmOptionList(), clients(),
          singleShot(sealing), eventRequests(eventRequests), putPrevious);
      case "confidential-b" -> ConfidentialCluster.start(mode, root, compareJarCopy, size,
          compareJvmOptions != null ? split(compareJvmOptions) : jvmOptionList(), clients(),
          singleShot(compareSealing != null ? compareSealing : sealing),
          eventRequests(compareEventRequests != null ? compareEventRequests : eventRequests), putPrevious);
      default -> EtcdCluster.start(root, etcdBinary, size, clients());
    };
    running.add(cluster);
    stdout.printf(Locale.ROOT, "bench cluster mode=%s nodes=%d started in %.1f s%n", mode, size,
        (System.nanoTime() - started) / 1e9);
    return cluster;
  }

  /** 0 (the SDK's default) for none; else {@code n}, which must be at least 1. */
  static int eventRequests(Integer n) {
    if (n != null && (n < 1 || n > NodeHttp.ASYNC_REQUESTS_IN_FLIGHT_MAX)) {
      throw new IllegalArgumentException("--event-requests and --compare-event-requests take 1.."
          + NodeHttp.ASYNC_REQUESTS_IN_FLIGHT_MAX + ", got " + n);
    }
    return n == null ? 0 : n;
  }

  /** True for {@code single-shot}, false for {@code session}; anything else is refused, naming it. */
  static boolean singleShot(String sealingMode) {
    return switch (sealingMode) {
      case "session" -> false;
      case "single-shot" -> true;
      default -> throw new IllegalArgumentException("--sealing and --compare-sealing take session or single-shot, got '"
          + sealingMode + "'");
    };
  }

  /** Above 1, async-profiler run by a user without root gets no kernel frames. */
  private static String perfEventParanoid() {
    try {
      return Files.readString(Path.of("/proc/sys/kernel/perf_event_paranoid")).strip();
    } catch (IOException e) {
      return "unknown";
    }
  }

  private void throughput() throws Exception {
    ClusterBench bench = new ClusterBench(stdout, Optional.ofNullable(profiler));
    ThroughputRun run = new ThroughputRun(stdout, results, bench, parseDuration(clusterWarmup, "--cluster-warmup"),
        parseDuration(warmup, "--warmup"), parseDuration(duration, "--duration"), repeat, this::spec);
    for (int n : nodeCounts) {
      Map<String, BenchCluster> clusters = new LinkedHashMap<>();
      try {
        for (String mode : modes) {
          clusters.put(mode, startCluster(mode, n, runDir.resolve(mode + "-n" + n)));
        }
        run.measureAll(clusters, n, sizes, concurrencies);
      } finally {
        clusters.values().forEach(c -> {
          c.close();
          running.remove(c);
        });
      }
    }
  }

  /** Clients per cluster: enough for the highest concurrency (see {@link PooledTarget}). */
  private int clients() {
    return PooledTarget.clientsFor(Math.max(ThroughputRun.WARMUP_CONCURRENCY, concurrencies.stream()
        .mapToInt(Integer::intValue).max().orElse(1)));
  }

  private LoadGenerator.Spec spec(int concurrency, int size) {
    int callsMax = calls != null ? calls : (concurrency + batch - 1) / batch;
    return new LoadGenerator.Spec(concurrency, size, batch, callsMax, keys, rate == null ? 0 : rate);
  }
}
