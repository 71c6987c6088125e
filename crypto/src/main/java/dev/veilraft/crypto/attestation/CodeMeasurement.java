package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The simulated TEE's launch measurement: what real SEV-SNP firmware would measure, approximated
 * by hashing the node's own code and its code-affecting launch arguments, so that a policy's
 * allowed measurements refuse altered code even in simulation.
 *
 * <pre>
 * measurement   = SHA-384("veilraft/sim-measurement/v1" || SHA-384(code) || SHA-384(launch config))
 * code          = the jar's bytes, or for a class directory, for each regular file sorted by
 *                 relative path ('/'-separated): u64(len(path)) || path (UTF-8) || u64(size) || content
 * launch config = for each argument in order: u64(len(arg)) || arg (UTF-8)      (u64 = 8 bytes big-endian)
 * </pre>
 *
 * It measures what the JVM loads from the anchor's code source and the arguments that can change
 * code (agents, patched modules, boot class path, class loader, class data sharing archives, JVM
 * option files). For such an argument that names files the JVM reads code or options from, the
 * launch configuration ({@link #launchConfig}) also holds each file's digest right after the
 * argument: {@code sha384:<path>=<hex>} (a directory hashed as code is), or {@code absent:<path>}.
 * A CDS archive in particular holds preparsed classes the JVM checks only by the class path's
 * sizes and times, so an altered archive could inject code into an unaltered jar. Not measured:
 * the JDK, other class path entries, native libraries an agent library loads, and agents attached
 * at run time (start nodes with {@code -XX:+DisableAttachMechanism} to refuse those). Real TEEs
 * measure the whole launch image.
 */
public final class CodeMeasurement {
  public static final int BYTES = 48;
  private static final byte[] LABEL = Hashes.utf8("veilraft/sim-measurement/v1");
  /** JVM arguments that can change which code runs; everything else (heap, GC, logging) is ignored. */
  private static final List<String> CODE_AFFECTING_PREFIXES = List.of("-javaagent", "-agentlib", "-agentpath",
      "-Xbootclasspath", "--patch-module", "-Djava.system.class.loader", "-XX:SharedArchiveFile", "-Xshare",
      "-XX:ArchiveClassesAtExit", "-XX:+AutoCreateSharedArchive", "--upgrade-module-path", "-XX:Flags",
      "-XX:VMOptionsFile", "-XX:+EnableJVMCI", "-XX:+UseJVMCICompiler", "-Djdk.module.upgrade.path",
      "-Djdk.module.patch", "-Djava.security.manager");
  private static final int READ_BUFFER_BYTES = 64 * 1024;
  private static final Map<String, byte[]> RUNNING_CODE_CACHE = new ConcurrentHashMap<>();

  private CodeMeasurement() {}

  /** Combines a code digest (SHA-384 of the code, 48 bytes) and a launch configuration. */
  public static byte[] of(byte[] codeSha384, List<String> launchConfig) {
    Check.length(codeSha384, BYTES, "code SHA-384");
    return Hashes.sha384(LABEL, codeSha384, launchConfigSha384(launchConfig));
  }

  /**
   * The measurement of a node started from {@code jar} with these launch arguments. To predict what
   * {@link #ofRunningCode} reports for that node, pass {@link #codeAffectingArguments} of its JVM
   * arguments.
   */
  public static byte[] ofJar(Path jar, List<String> launchConfig) throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IOException("cannot measure " + jar + ": not a regular file");
    }
    return of(codeSha384(jar), launchConfig);
  }

  /**
   * The measurement of the code this JVM runs: the code source (jar or class directory) of
   * {@code anchor} and the code-affecting arguments of this JVM. Computed once per code source.
   */
  public static byte[] ofRunningCode(Class<?> anchor) throws IOException {
    Path codeSource = codeSourceOf(anchor);
    String key = codeSource.toString();
    byte[] cached = RUNNING_CODE_CACHE.get(key);
    if (cached == null) {
      List<String> jvmArguments = ManagementFactory.getRuntimeMXBean().getInputArguments();
      cached = of(codeSha384(codeSource), launchConfig(jvmArguments));
      RUNNING_CODE_CACHE.putIfAbsent(key, cached);
    }
    return cached.clone();
  }

  /** The arguments among {@code jvmArguments} that can change which code runs, in their order. */
  public static List<String> codeAffectingArguments(List<String> jvmArguments) {
    List<String> kept = new ArrayList<>();
    for (String argument : jvmArguments) {
      for (String prefix : CODE_AFFECTING_PREFIXES) {
        if (argument.startsWith(prefix)) {
          kept.add(argument);
          break;
        }
      }
    }
    return List.copyOf(kept);
  }

  /**
   * The launch configuration of a JVM started with {@code jvmArguments}: its code-affecting
   * arguments, each followed by the digests of the files it makes the JVM read code or options
   * from (see the class comment). What {@link #ofRunningCode} measures; pass it to {@link #ofJar}
   * to predict a node's measurement on the machine that will run it.
   */
  public static List<String> launchConfig(List<String> jvmArguments) throws IOException {
    List<String> config = new ArrayList<>();
    for (String argument : codeAffectingArguments(jvmArguments)) {
      config.add(argument);
      for (String file : filesRead(argument)) {
        Path path = Path.of(file);
        config.add(Files.exists(path) ? "sha384:" + file + "=" + Hashes.hex(codeSha384(path)) : "absent:" + file);
      }
    }
    return List.copyOf(config);
  }

  /** Path separator of JVM path lists (':' on Linux, the only platform nodes run on). */
  private static final String PATH_LIST_SEPARATOR = java.io.File.pathSeparator;

  /** The files {@code argument} makes the JVM read code or options from, in order (none for most). */
  static List<String> filesRead(String argument) {
    String value;
    if (argument.startsWith("-javaagent:")) {
      return List.of(beforeOptions(argument.substring("-javaagent:".length())));
    } else if (argument.startsWith("-agentpath:")) {
      return List.of(beforeOptions(argument.substring("-agentpath:".length())));
    } else if (argument.startsWith("-Xbootclasspath/a:") || argument.startsWith("-Xbootclasspath/p:")) {
      value = argument.substring("-Xbootclasspath/a:".length());
    } else if (argument.startsWith("-Xbootclasspath:")) {
      value = argument.substring("-Xbootclasspath:".length());
    } else if (argument.startsWith("--patch-module=") || argument.startsWith("-Djdk.module.patch.")) {
      // --patch-module=<module>=<path>(:<path>)*, as the JVM sees it.
      String rest = argument.substring(argument.indexOf('=') + 1);
      int eq = rest.indexOf('=');
      value = eq < 0 ? "" : rest.substring(eq + 1);
    } else if (argument.startsWith("--upgrade-module-path=") || argument.startsWith("-Djdk.module.upgrade.path=")
        || argument.startsWith("-XX:SharedArchiveFile=") || argument.startsWith("-XX:Flags=")
        || argument.startsWith("-XX:VMOptionsFile=")) {
      value = argument.substring(argument.indexOf('=') + 1);
    } else {
      return List.of();
    }
    List<String> files = new ArrayList<>();
    for (String file : value.split(java.util.regex.Pattern.quote(PATH_LIST_SEPARATOR))) {
      if (!file.isEmpty()) {
        files.add(file);
      }
    }
    return List.copyOf(files);
  }

  private static String beforeOptions(String pathAndOptions) {
    int eq = pathAndOptions.indexOf('=');
    return eq < 0 ? pathAndOptions : pathAndOptions.substring(0, eq);
  }

  /** SHA-384 of a jar's bytes, or of a class directory's files as described above. */
  static byte[] codeSha384(Path code) throws IOException {
    MessageDigest digest = Hashes.newDigest("SHA-384");
    if (Files.isRegularFile(code)) {
      update(digest, code);
    } else if (Files.isDirectory(code)) {
      for (String relative : regularFilesUnder(code)) {
        byte[] path = Hashes.utf8(relative);
        Path file = code.resolve(relative);
        digest.update(Hashes.u64(path.length));
        digest.update(path);
        digest.update(Hashes.u64(Files.size(file)));
        update(digest, file);
      }
    } else {
      throw new IOException("cannot measure " + code + ": neither a file nor a directory");
    }
    return digest.digest();
  }

  static byte[] launchConfigSha384(List<String> launchConfig) {
    MessageDigest digest = Hashes.newDigest("SHA-384");
    for (String argument : launchConfig) {
      byte[] bytes = Hashes.utf8(argument);
      digest.update(Hashes.u64(bytes.length));
      digest.update(bytes);
    }
    return digest.digest();
  }

  private static List<String> regularFilesUnder(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile)
          .map(file -> dir.relativize(file).toString().replace(java.io.File.separatorChar, '/'))
          .sorted()
          .toList();
    }
  }

  private static void update(MessageDigest digest, Path file) throws IOException {
    byte[] buffer = new byte[READ_BUFFER_BYTES];
    try (InputStream in = Files.newInputStream(file)) {
      for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
        digest.update(buffer, 0, read);
      }
    }
  }

  private static Path codeSourceOf(Class<?> anchor) throws IOException {
    CodeSource source = anchor.getProtectionDomain().getCodeSource();
    URL location = source == null ? null : source.getLocation();
    if (location == null) {
      throw new IOException("class " + anchor.getName() + " has no code source to measure");
    }
    try {
      return Path.of(location.toURI());
    } catch (URISyntaxException | RuntimeException e) {
      throw new IOException("cannot measure code source " + location + " of " + anchor.getName(), e);
    }
  }
}
