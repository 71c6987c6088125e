package dev.veilraft.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the CPU went in a JFR recording: execution samples counted by their top frame (self
 * time); by component, each sample charged to the component of its topmost frame outside the JDK
 * (so a HashMap lookup inside Ratis counts for Ratis; the shares add up to 100%); by the
 * components their stacks pass through (inclusive: a sample under both the Ratis log and Bouncy
 * Castle counts for both); and the hottest veilraft methods inclusive.
 * Run: {@code java -cp bench/target/benchmarks.jar dev.veilraft.bench.JfrTop FILE.jfr [TOP]}.
 */
public final class JfrTop {
  private static final int TOP_DEFAULT = 15;
  private static final String OTHER = "other (";
  /** Components by package prefix, first match wins; what a reader wants to see separately. */
  private static final Map<String, String> COMPONENTS = new LinkedHashMap<>();

  static {
    COMPONENTS.put("org.bouncycastle.", "crypto: Bouncy Castle (HPKE, X25519)");
    COMPONENTS.put("com.sun.crypto.", "crypto: JDK (AES-GCM, HMAC)");
    COMPONENTS.put("sun.security.ssl.", "TLS (JDK SSLEngine)");
    COMPONENTS.put("sun.security.", "crypto: JDK security (EC, signatures)");
    COMPONENTS.put("dev.veilraft.crypto.", "veilraft crypto");
    COMPONENTS.put("dev.veilraft.state.", "veilraft state (encrypted store, apps)");
    COMPONENTS.put("dev.veilraft.consensus.", "veilraft consensus (Replica, state machine)");
    COMPONENTS.put("dev.veilraft.membership.", "veilraft membership");
    COMPONENTS.put("dev.veilraft.node.", "veilraft node (API)");
    COMPONENTS.put("dev.veilraft.client.", "veilraft client SDK");
    COMPONENTS.put("dev.veilraft.bench.", "benchmark load generator");
    COMPONENTS.put("org.rocksdb.", "RocksDB (JNI)");
    COMPONENTS.put("org.apache.ratis.thirdparty.io.grpc.", "gRPC (Ratis, shaded)");
    COMPONENTS.put("org.apache.ratis.thirdparty.io.netty.", "Netty (Ratis, shaded)");
    COMPONENTS.put("org.apache.ratis.thirdparty.com.google.protobuf.", "protobuf (Ratis, shaded)");
    COMPONENTS.put("org.apache.ratis.server.raftlog.", "Ratis log (write, fsync)");
    COMPONENTS.put("org.apache.ratis.", "Ratis other");
    COMPONENTS.put("org.eclipse.jetty.", "Jetty (HTTPS API)");
    COMPONENTS.put("jdk.internal.net.http.", "JDK HttpClient");
    COMPONENTS.put("com.google.protobuf.", "protobuf");
    COMPONENTS.put("ch.qos.logback.", "logging");
  }

  private JfrTop() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      System.err.println("usage: JfrTop FILE.jfr [TOP]");
      System.exit(2);
    }
    print(Path.of(args[0]), args.length > 1 ? Integer.parseInt(args[1]) : TOP_DEFAULT, System.out);
  }

  /** Prints the summary of {@code file} to {@code out}. */
  public static void print(Path file, int top, PrintStream out) throws IOException {
    Map<String, Integer> self = new HashMap<>();
    Map<String, Integer> owners = new HashMap<>();
    Map<String, Integer> components = new HashMap<>();
    Map<String, Integer> veilraft = new HashMap<>();
    int samples = 0;
    for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
      if (!event.getEventType().getName().equals("jdk.ExecutionSample") || event.getStackTrace() == null) {
        continue;
      }
      List<RecordedFrame> frames = event.getStackTrace().getFrames();
      if (frames.isEmpty()) {
        continue;
      }
      samples++;
      self.merge(name(frames.get(0).getMethod()), 1, Integer::sum);
      Set<String> seenComponents = new HashSet<>();
      Set<String> seenMethods = new HashSet<>();
      String owner = null;
      for (RecordedFrame frame : frames) {
        String method = name(frame.getMethod());
        String component = component(method);
        if (!component.startsWith(OTHER)) {
          seenComponents.add(component);
          if (owner == null) {
            owner = component;
          }
        }
        if (method.startsWith("dev.veilraft.") && !method.startsWith("dev.veilraft.bench.")) {
          seenMethods.add(method);
        }
      }
      owners.merge(owner != null ? owner : component(name(frames.get(0).getMethod())), 1, Integer::sum);
      seenComponents.forEach(c -> components.merge(c, 1, Integer::sum));
      seenMethods.forEach(m -> veilraft.merge(m, 1, Integer::sum));
    }
    out.printf(Locale.ROOT, "profile %s: %d execution samples%n", file.getFileName(), samples);
    printTop(out, "top frames (self)", self, samples, top);
    printTop(out, "components (self: topmost frame outside the JDK)", owners, samples, top);
    printTop(out, "components (inclusive)", components, samples, top);
    printTop(out, "veilraft methods (inclusive)", veilraft, samples, top);
  }

  private static String name(RecordedMethod method) {
    return method == null ? "?" : method.getType().getName() + "." + method.getName();
  }

  private static String component(String method) {
    for (Map.Entry<String, String> e : COMPONENTS.entrySet()) {
      if (method.startsWith(e.getKey())) {
        return e.getValue();
      }
    }
    return OTHER + method.substring(0, Math.max(0, Math.min(method.length(), method.indexOf('.',
        method.indexOf('.') + 1)))) + ")";
  }

  private static void printTop(PrintStream out, String title, Map<String, Integer> counts, int samples, int top) {
    out.println("  " + title + ":");
    counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(top)
        .forEach(e -> out.printf(Locale.ROOT, "    %5.1f%%  %s%n", 100.0 * e.getValue() / Math.max(1, samples),
            e.getKey()));
  }
}
