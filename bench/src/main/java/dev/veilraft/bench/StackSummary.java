package dev.veilraft.bench;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where the CPU went in a set of sampled stacks (JFR execution samples, async-profiler's collapsed
 * stacks): samples counted by their top frame (self time); by component, each sample charged to
 * the component of its topmost frame outside the JDK and the kernel (so a HashMap lookup or an
 * fsync inside Ratis counts for Ratis; the shares add up to 100%); by the components their stacks
 * pass through (inclusive: a sample under both the Ratis log and the kernel counts for both); by
 * kind of thread ({@link #threadKind}: {@code grpc-default-executor-3} counts as {@code
 * grpc-default-executor-#}); and the hottest veilraft methods inclusive.
 */
final class StackSummary {
  private static final String OTHER = "other (";
  /** A kernel frame in async-profiler's output. */
  private static final String KERNEL_SUFFIX = "_[k]";
  private static final String KERNEL = "kernel (system calls: I/O, fsync, network)";
  /** A Ratis thread's prefix: {@code <peer>@group-<id>-} and, on an appender, {@code -><peer>}. */
  private static final Pattern RATIS_PREFIX = Pattern.compile("^\\S*@group-[0-9A-Fa-f]+-(>\\S+?-)?");
  /** A pool thread's number: digits after a dash or at the end ({@code api-3-12}, {@code timer2}). */
  private static final Pattern POOL_NUMBER = Pattern.compile("(?<=-)\\d+(?=-|$)|\\d+$");
  /** Components by the start of a Java frame's qualified name, first match wins; what a reader wants to see separately. */
  private static final Map<String, String> JAVA_COMPONENTS = new LinkedHashMap<>();
  /** Components of native frames (C++ of the JVM or RocksDB) by a part of the frame's name. */
  private static final Map<String, String> NATIVE_COMPONENTS = new LinkedHashMap<>();

  static {
    JAVA_COMPONENTS.put("org.bouncycastle.", "crypto: Bouncy Castle (HPKE, X25519)");
    JAVA_COMPONENTS.put("com.sun.crypto.", "crypto: JDK (AES-GCM, HMAC)");
    JAVA_COMPONENTS.put("sun.security.ssl.", "TLS (JDK SSLEngine)");
    JAVA_COMPONENTS.put("sun.security.", "crypto: JDK security (EC, signatures)");
    JAVA_COMPONENTS.put("dev.veilraft.crypto.", "veilraft crypto");
    JAVA_COMPONENTS.put("dev.veilraft.state.", "veilraft state (encrypted store, apps)");
    JAVA_COMPONENTS.put("dev.veilraft.consensus.", "veilraft consensus (Replica, state machine)");
    JAVA_COMPONENTS.put("dev.veilraft.membership.", "veilraft membership");
    JAVA_COMPONENTS.put("dev.veilraft.node.", "veilraft node (API)");
    JAVA_COMPONENTS.put("dev.veilraft.client.", "veilraft client SDK");
    JAVA_COMPONENTS.put("dev.veilraft.bench.", "benchmark load generator");
    JAVA_COMPONENTS.put("org.rocksdb.", "RocksDB (JNI)");
    JAVA_COMPONENTS.put("org.apache.ratis.thirdparty.io.grpc.", "gRPC (Ratis, shaded)");
    JAVA_COMPONENTS.put("org.apache.ratis.thirdparty.io.netty.", "Netty (Ratis, shaded)");
    JAVA_COMPONENTS.put("org.apache.ratis.thirdparty.com.google.protobuf.", "protobuf (Ratis, shaded)");
    JAVA_COMPONENTS.put("org.apache.ratis.server.raftlog.", "Ratis log (write, fsync)");
    JAVA_COMPONENTS.put("org.apache.ratis.", "Ratis other");
    JAVA_COMPONENTS.put("org.eclipse.jetty.", "Jetty (HTTPS API)");
    JAVA_COMPONENTS.put("jdk.internal.net.http.", "JDK HttpClient");
    JAVA_COMPONENTS.put("com.google.protobuf.", "protobuf");
    JAVA_COMPONENTS.put("ch.qos.logback.", "logging");
    NATIVE_COMPONENTS.put("rocksdb::", "RocksDB (JNI)");
    // The compiler threads' own frames; not CompiledIC:: or CompiledMethod::, which run on
    // application threads.
    NATIVE_COMPONENTS.put("CompileBroker::compiler_thread_loop", "JIT compiler");
    NATIVE_COMPONENTS.put("C2Compiler::", "JIT compiler");
    NATIVE_COMPONENTS.put("Compile::", "JIT compiler");
    NATIVE_COMPONENTS.put("Compilation::", "JIT compiler");
    NATIVE_COMPONENTS.put("Generation", "GC");
    NATIVE_COMPONENTS.put("VM_GenCollect", "GC");
    NATIVE_COMPONENTS.put("SerialHeap", "GC");
    NATIVE_COMPONENTS.put("G1", "GC");
  }

  private final Map<String, Long> self = new HashMap<>();
  private final Map<String, Long> owners = new HashMap<>();
  private final Map<String, Long> components = new HashMap<>();
  private final Map<String, Long> threads = new HashMap<>();
  private final Map<String, Long> veilraft = new HashMap<>();
  private long samples;

  /**
   * Adds {@code weight} samples of one stack: {@code frames} top first, Java frames as qualified
   * names ({@code org.apache.ratis.Foo.bar}); {@code thread} is null when the source has none.
   */
  void add(List<String> frames, String thread, long weight) {
    if (frames.isEmpty() || weight <= 0) {
      return;
    }
    samples += weight;
    self.merge(frames.get(0), weight, Long::sum);
    Set<String> seenComponents = new HashSet<>();
    Set<String> seenMethods = new HashSet<>();
    String owner = null;
    for (String frame : frames) {
      String component = component(frame);
      if (!component.startsWith(OTHER)) {
        seenComponents.add(component);
        if (owner == null && !component.equals(KERNEL)) {
          owner = component;
        }
      }
      if (frame.startsWith("dev.veilraft.") && !frame.startsWith("dev.veilraft.bench.")) {
        seenMethods.add(frame);
      }
    }
    owners.merge(owner != null ? owner : component(frames.get(0)), weight, Long::sum);
    seenComponents.forEach(c -> components.merge(c, weight, Long::sum));
    seenMethods.forEach(m -> veilraft.merge(m, weight, Long::sum));
    if (thread != null) {
      threads.merge(threadKind(thread), weight, Long::sum);
    }
  }

  long samples() {
    return samples;
  }

  /** Prints the summary, the {@code top} entries of each table, under the heading {@code title}. */
  void print(String title, int top, PrintStream out) {
    out.printf(Locale.ROOT, "profile %s: %d samples%n", title, samples);
    printTop(out, "top frames (self)", self, top);
    printTop(out, "components (self: topmost frame outside the JDK and the kernel)", owners, top);
    printTop(out, "components (inclusive)", components, top);
    if (!threads.isEmpty()) {
      printTop(out, "threads", threads, top);
    }
    printTop(out, "veilraft methods (inclusive)", veilraft, top);
  }

  /** A thread's name without what differs between threads of one kind (pool numbers, Ratis peer and group ids). */
  static String threadKind(String thread) {
    String name = RATIS_PREFIX.matcher(thread).replaceFirst("raft: ");
    return POOL_NUMBER.matcher(name).replaceAll("#");
  }

  static String component(String frame) {
    if (frame.endsWith(KERNEL_SUFFIX)) {
      return KERNEL;
    }
    for (Map.Entry<String, String> e : JAVA_COMPONENTS.entrySet()) {
      if (frame.startsWith(e.getKey())) {
        return e.getValue();
      }
    }
    for (Map.Entry<String, String> e : NATIVE_COMPONENTS.entrySet()) {
      if (frame.contains(e.getKey())) {
        return e.getValue();
      }
    }
    int secondDot = frame.indexOf('.', frame.indexOf('.') + 1);
    return OTHER + (secondDot < 0 ? "native code" : frame.substring(0, secondDot)) + ")";
  }

  private void printTop(PrintStream out, String title, Map<String, Long> counts, int top) {
    out.println("  " + title + ":");
    counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
        .forEach(e -> out.printf(Locale.ROOT, "    %5.1f%%  %s%n", 100.0 * e.getValue() / Math.max(1, samples),
            e.getKey()));
  }
}
