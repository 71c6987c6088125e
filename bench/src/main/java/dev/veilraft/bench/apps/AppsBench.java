package dev.veilraft.bench.apps;

import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The federated apps' benchmark (issue 6): starts a 3-node cluster in this JVM (simulated TEE,
 * INSECURE; plain HTTP on loopback), then for each concurrency measures Cashu NUT-03 swaps with
 * clients spread over the nodes and Nostr publishing on node 1 with a subscriber on node 2,
 * printing {@code apps cashu swaps_per_s=X p50_ms=Y p99_ms=Z conc=C} and {@code apps nostr
 * accepted_per_s=X ok_p50_ms=Y ok_p99_ms=Z fanout_p50_ms=U fanout_p99_ms=V conc=C}. Every swap
 * and publish must succeed and every accepted event must reach the subscriber, else the run
 * prints {@code apps FAILED ...} and exits 1. Numbers are printed, never asserted.
 * Run: {@code java -cp bench/target/benchmarks.jar dev.veilraft.bench.apps.AppsBench --seconds 20 --conc 1,16}.
 */
@Command(name = "apps", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Cashu swaps and Nostr publish/fan-out on a 3-node in-process veilraft cluster (simulated TEE, INSECURE).")
public final class AppsBench implements Callable<Integer> {
  static final int CLUSTER_SIZE = 3;
  static final int CONCURRENCY_MAX = 256;
  static final int SECONDS_MAX = 3_600;
  private static final int PUBLISHER_NODE = 0;
  private static final int SUBSCRIBER_NODE = 1;

  @Option(names = "--seconds", defaultValue = "20",
      description = "Measured seconds per app and concurrency (default ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--warmup", defaultValue = "5",
      description = "Warm-up seconds before each measurement (default ${DEFAULT-VALUE}).")
  int warmupSeconds;

  @Option(names = "--conc", split = ",", defaultValue = "8",
      description = "Concurrent clients; a list runs each in turn on the same cluster (default ${DEFAULT-VALUE}).")
  List<Integer> concurrencies;

  @Option(names = "--apps", split = ",", defaultValue = "cashu,nostr",
      description = "Which apps to measure: cashu, nostr (default ${DEFAULT-VALUE}).")
  List<String> apps;

  @Option(names = "--dleq",
      description = "Check every swap signature's DLEQ proof as a wallet would (costs client CPU on this machine).")
  boolean checkDleq;

  @Option(names = "--jfr",
      description = "Record JFR (profile settings) over each measured window into DIR/apps-<app>-c<C>.jfr.")
  Path jfrDir;

  @Option(names = "--work-dir",
      description = "Where the nodes' data directories go (default: a temporary directory, deleted after).")
  Path workDir;

  private final PrintStream out = System.out;

  public static void main(String[] args) {
    System.exit(new CommandLine(new AppsBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    for (int c : concurrencies) {
      if (c < 1 || c > CONCURRENCY_MAX) {
        throw new CommandLine.ParameterException(new CommandLine(this),
            "--conc " + c + " is outside 1.." + CONCURRENCY_MAX);
      }
    }
    if (seconds < 1 || seconds > SECONDS_MAX || warmupSeconds < 0 || warmupSeconds > SECONDS_MAX) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--seconds must be 1.." + SECONDS_MAX
          + " and --warmup 0.." + SECONDS_MAX + ", got " + seconds + " and " + warmupSeconds);
    }
    for (String app : apps) {
      if (!app.equals("cashu") && !app.equals("nostr")) {
        throw new CommandLine.ParameterException(new CommandLine(this),
            "--apps: unknown app '" + app + "' (cashu, nostr)");
      }
    }
    boolean temporary = workDir == null;
    Path root = temporary ? Files.createTempDirectory("veilraft-apps-bench") : Files.createDirectories(workDir);
    if (jfrDir != null) {
      Files.createDirectories(jfrDir);
    }
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(30)).build();
    boolean ok = true;
    long startedMs = System.currentTimeMillis();
    try (AppsCluster cluster = AppsCluster.start(root, CLUSTER_SIZE)) {
      out.printf(Locale.ROOT, "apps cluster nodes=%d leader=node%d ready_s=%.1f cpus=%d load_avg=%s%n", cluster.size(),
          cluster.leaderIndex() + 1, (System.currentTimeMillis() - startedMs) / 1e3,
          Runtime.getRuntime().availableProcessors(), loadAverage());
      for (int conc : concurrencies) {
        if (ok && apps.contains("cashu")) {
          ok = cashu(cluster, http, conc);
        }
        if (ok && apps.contains("nostr")) {
          ok = nostr(cluster, http, conc);
        }
      }
    } finally {
      if (temporary) {
        deleteTree(root);
      }
    }
    return ok ? 0 : 1;
  }

  private boolean cashu(AppsCluster cluster, HttpClient http, int conc) throws Exception {
    CashuSwapLoad load = new CashuSwapLoad(cluster, http, conc, checkDleq);
    load.prepare();
    Window window = Window.after(Duration.ofSeconds(warmupSeconds), Duration.ofSeconds(seconds));
    Thread recorder = record(window, "cashu", conc);
    CashuSwapLoad.Result result = load.run(window);
    join(recorder);
    if (!result.failures().isEmpty()) {
      out.println("apps FAILED cashu conc=" + conc + ": " + String.join("; ", result.failures()));
      return false;
    }
    out.printf(Locale.ROOT, "apps cashu swaps_per_s=%.1f p50_ms=%.2f p99_ms=%.2f conc=%d%n", result.swapsPerSecond(),
        Window.millis(result.latency(), 50), Window.millis(result.latency(), 99), conc);
    out.printf(Locale.ROOT, "apps cashu detail swaps=%d outputs_per_swap=%.2f max_ms=%.2f seconds=%.0f leader=node%d"
        + " load_avg=%s%n", result.swaps(), result.outputsPerSwap(), Window.millis(result.latency(), 100),
        result.seconds(), cluster.leaderIndex() + 1, loadAverage());
    return true;
  }

  private boolean nostr(AppsCluster cluster, HttpClient http, int conc) throws Exception {
    NostrLoad load = new NostrLoad(cluster, http, conc, PUBLISHER_NODE, SUBSCRIBER_NODE);
    Window window = Window.after(Duration.ofSeconds(warmupSeconds), Duration.ofSeconds(seconds));
    Thread recorder = record(window, "nostr", conc);
    NostrLoad.Result result = load.run(window);
    join(recorder);
    if (!result.failures().isEmpty()) {
      out.println("apps FAILED nostr conc=" + conc + ": " + String.join("; ", result.failures()));
      return false;
    }
    out.printf(Locale.ROOT, "apps nostr accepted_per_s=%.1f ok_p50_ms=%.2f ok_p99_ms=%.2f fanout_p50_ms=%.2f"
        + " fanout_p99_ms=%.2f conc=%d%n", result.acceptedPerSecond(), Window.millis(result.ok(), 50),
        Window.millis(result.ok(), 99), Window.millis(result.fanout(), 50), Window.millis(result.fanout(), 99), conc);
    out.printf(Locale.ROOT, "apps nostr detail accepted=%d fanout_samples=%d publisher=node%d subscriber=node%d leader=node%d"
        + " load_avg=%s%n", result.accepted(), result.fanout().getTotalCount(), PUBLISHER_NODE + 1, SUBSCRIBER_NODE + 1,
        cluster.leaderIndex() + 1, loadAverage());
    return true;
  }

  /** A thread that records JFR over exactly the measured window, or null without {@code --jfr}. */
  private Thread record(Window window, String app, int conc) throws IOException, ParseException {
    if (jfrDir == null) {
      return null;
    }
    Path file = jfrDir.resolve("apps-" + app + "-c" + conc + ".jfr");
    Configuration profile = Configuration.getConfiguration("profile");
    Thread thread = new Thread(() -> {
      try (Recording recording = new Recording(profile)) {
        sleepUntil(window.startNanos());
        recording.start();
        sleepUntil(window.endNanos());
        recording.stop();
        recording.dump(file);
        out.println("apps jfr " + app + " conc=" + conc + " file=" + file);
      } catch (IOException e) {
        out.println("apps jfr " + app + " conc=" + conc + " not written: " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "apps-jfr");
    thread.start();
    return thread;
  }

  /** Sleeps until a point on the {@link System#nanoTime} clock: the window is a schedule, not a condition. */
  private static void sleepUntil(long nanos) throws InterruptedException {
    long left = nanos - System.nanoTime();
    if (left > 0) {
      Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
    }
  }

  private static void join(Thread thread) throws InterruptedException {
    if (thread != null) {
      thread.join();
    }
  }

  /** The 1/5/15-minute load averages of a Linux machine, or "unknown". */
  static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return fields[0] + "/" + fields[1] + "/" + fields[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
