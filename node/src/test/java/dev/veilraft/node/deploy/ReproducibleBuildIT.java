package dev.veilraft.node.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node jar is reproducible, so anyone can rebuild it from source and recompute the simulated
 * launch measurement (derived from the jar's SHA-384) that a cluster's policy allows.
 *
 * <p>The main test packages the node jar a second time, in another directory, at another time,
 * in another time zone, locale, file encoding and umask, under another user name, and requires
 * the same bytes as this build's {@code target/veilraft.jar}. To keep CI short it repeats only the
 * packaging (resources, jar, shade: about 25 s of CPU) of the seven modules in the node jar, from
 * the classes this build compiled, instead of a whole second build (about 70 s of CPU plus Maven's
 * start). javac and protoc are deterministic for a given JDK and protoc version, and packaging is
 * where build time, machine and order leak in; {@code docker/reproducible-build-check.sh} covers the
 * rest by building two fresh clones from scratch and comparing every jar.
 */
class ReproducibleBuildIT {
  /** The modules whose classes end up in the node jar, in reactor order, node last. */
  static final List<String> NODE_JAR_MODULES = List.of("crypto", "state", "membership", "consensus", "apps", "client",
      "node");
  static final Duration REBUILD_TIMEOUT = Duration.ofMinutes(10);
  /** UTC+12:45 (+13:45 in summer): a DOS timestamp written in local time would show. */
  static final String OTHER_TIME_ZONE = "Pacific/Chatham";
  /** Turkish upper-cases 'i' to a dotted 'İ', the classic locale leak into generated names. */
  static final String OTHER_LOCALE_OPTIONS = "-Duser.language=tr -Duser.country=TR -Dfile.encoding=ISO-8859-1";
  static final String OTHER_USER = "reproducibility-check";
  static final int DIFFERENCES_SHOWN_MAX = 20;
  private static final Pattern OUTPUT_TIMESTAMP = Pattern.compile(
      "<project\\.build\\.outputTimestamp>([^<]+)</project\\.build\\.outputTimestamp>");
  private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");
  /** Where the node jar's own entries come from: our modules' classes and Maven descriptors. */
  private static final List<String> OWN_ENTRY_PREFIXES = List.of("dev/veilraft/", "META-INF/maven/dev.veilraft/");

  @Test
  void ownEntriesCarryTheFixedBuildTimestamp() throws IOException {
    // Every entry built from our sources (classes, Maven descriptors, the manifest) carries the parent pom's
    // project.build.outputTimestamp, stored as the same date and time in every time zone.
    Path root = HostCommands.repositoryRoot();
    LocalDateTime fixed = LocalDateTime.ofInstant(outputTimestamp(root), ZoneOffset.UTC);
    List<String> wrong = new ArrayList<>();
    int own = 0;
    try (ZipFile jar = new ZipFile(nodeJar().toFile())) {
      for (ZipEntry entry : java.util.Collections.list(jar.entries())) {
        boolean ours = entry.getName().equals("META-INF/MANIFEST.MF")
            || OWN_ENTRY_PREFIXES.stream().anyMatch(entry.getName()::startsWith);
        if (ours) {
          own++;
          if (!entry.getTimeLocal().equals(fixed)) {
            wrong.add(entry.getName() + " " + entry.getTimeLocal());
          }
        }
      }
    }
    assertThat(own).as("entries from our modules").isGreaterThan(100);
    assertThat(wrong).as("entries whose time is not %s (the build's outputTimestamp)", fixed).isEmpty();
  }

  @Test
  void noEntryTimeChangesWhenRepackagedInAnotherTimeZone() throws IOException {
    // The shade plugin copies each dependency entry's DOS time through the JVM's time zone; a local time that does
    // not exist in some zone (inside a daylight-saving gap) would come out an hour later there, so no entry may
    // hold one, in any zone.
    TreeSet<LocalDateTime> times = new TreeSet<>();
    try (ZipFile jar = new ZipFile(nodeJar().toFile())) {
      jar.stream().forEach(e -> times.add(e.getTimeLocal()));
    }
    List<String> gaps = new ArrayList<>();
    for (String zone : ZoneId.getAvailableZoneIds()) {
      var rules = ZoneId.of(zone).getRules();
      for (LocalDateTime time : times) {
        if (rules.getValidOffsets(time).isEmpty()) {
          gaps.add(time + " in " + zone);
        }
      }
    }
    assertThat(gaps).as("entry times inside a daylight-saving gap (they would not survive repackaging there)")
        .isEmpty();
  }

  @Test
  void repackagingElsewhereGivesAByteIdenticalNodeJar(@TempDir Path temp) throws Exception {
    // Another directory, time, time zone, locale, encoding, umask and user repackage this build's classes into
    // exactly the same target/veilraft.jar, so its SHA-384, and the simulated measurement with it, is recomputable.
    Path root = HostCommands.repositoryRoot();
    Path jar = nodeJar();
    List<String> classPath = testClassPath();
    List<String> notFromWorkspace = NODE_JAR_MODULES.stream().filter(m -> !m.equals("node"))
        .filter(m -> classPath.stream().noneMatch(e -> Path.of(e).toAbsolutePath().normalize()
            .startsWith(root.resolve(m).resolve("target"))))
        .toList();
    if (!notFromWorkspace.isEmpty()) {
      HostCommands.unavailable("modules " + notFromWorkspace + " came from the local repository, not from this "
          + "workspace, so this build's node jar cannot be rebuilt from the workspace: run from the root reactor "
          + "(mvn verify, or -pl node -am)");
    }
    Optional<Path> mvn = HostCommands.executable("mvn");
    if (mvn.isEmpty()) {
      HostCommands.unavailable("'mvn' is not on the PATH");
    }
    Path localRepository = localRepository(classPath);

    Path copy = temp.resolve("elsewhere").resolve("veilraft-rebuild");
    copyPackagingInputs(root, copy);
    // sh sets the umask and the directory, then becomes Maven: "$0" is the copy, "$@" the Maven command line.
    List<String> command = new ArrayList<>(List.of("sh", "-c", "cd \"$0\" && umask 077 && exec \"$@\"",
        copy.toString(), mvn.get().toString(), "-o", "-q", "-B", "-ntp", "package", "-Dmaven.main.skip=true",
        "-Dprotobuf.skip=true", "-Dmaven.test.skip=true", "-Dmaven.repo.local=" + localRepository,
        "-pl", String.join(",", NODE_JAR_MODULES)));
    Map<String, String> env = Map.of("TZ", OTHER_TIME_ZONE, "LC_ALL", "tr_TR.UTF-8", "USER", OTHER_USER,
        "MAVEN_OPTS", "-Duser.timezone=" + OTHER_TIME_ZONE + " " + OTHER_LOCALE_OPTIONS + " -Duser.name=" + OTHER_USER);
    HostCommands.Result rebuild = HostCommands.run(command, env, REBUILD_TIMEOUT);
    assertThat(rebuild.ok()).as("the second packaging: %s", rebuild.describe()).isTrue();

    Path rebuilt = copy.resolve("node").resolve("target").resolve("veilraft.jar");
    assertThat(rebuilt).isRegularFile();
    String expected = sha384Hex(jar);
    String actual = sha384Hex(rebuilt);
    assertThat(actual).as("SHA-384 of the repackaged node jar (first differences: %s)",
        expected.equals(actual) ? "none" : differences(jar, rebuilt)).isEqualTo(expected);
  }

  /** The parent pom's project.build.outputTimestamp. */
  static Instant outputTimestamp(Path root) throws IOException {
    Matcher m = OUTPUT_TIMESTAMP.matcher(Files.readString(root.resolve("pom.xml")));
    assertThat(m.find()).as("the parent pom sets project.build.outputTimestamp").isTrue();
    return Instant.parse(m.group(1).strip());
  }

  private static Path nodeJar() {
    Path jar = HostCommands.repositoryRoot().resolve("node").resolve("target").resolve("veilraft.jar");
    assertThat(jar).as("the node jar is built in the package phase, before the integration tests").isRegularFile();
    return jar;
  }

  /** The test class path as Surefire/Failsafe set it (the forked JVM's own may be a manifest-only jar). */
  private static List<String> testClassPath() {
    String path = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path", ""));
    return List.of(path.split(File.pathSeparator));
  }

  /** The local Maven repository this build resolved from, found through protobuf-java's jar on the class path. */
  private static Path localRepository(List<String> classPath) {
    String marker = File.separator + String.join(File.separator, "com", "google", "protobuf", "protobuf-java") + File.separator;
    for (String entry : classPath) {
      int at = entry.indexOf(marker);
      if (at > 0) {
        return Path.of(entry.substring(0, at));
      }
    }
    throw new IllegalStateException("protobuf-java is not on the test class path " + classPath);
  }

  /**
   * Copies what the packaging phase reads: the parent pom, every module's pom (the reactor reads them all) and
   * the compiled classes of the node jar's modules.
   */
  private static void copyPackagingInputs(Path root, Path copy) throws IOException {
    Files.createDirectories(copy);
    Files.copy(root.resolve("pom.xml"), copy.resolve("pom.xml"));
    Matcher modules = MODULE.matcher(Files.readString(root.resolve("pom.xml")));
    while (modules.find()) {
      String module = modules.group(1).strip();
      Files.createDirectories(copy.resolve(module));
      Files.copy(root.resolve(module).resolve("pom.xml"), copy.resolve(module).resolve("pom.xml"));
    }
    for (String module : NODE_JAR_MODULES) {
      copyTree(root.resolve(module).resolve("target").resolve("classes"),
          copy.resolve(module).resolve("target").resolve("classes"));
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path file : files.toList()) {
        Path target = to.resolve(from.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(target);
        } else {
          Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  static String sha384Hex(Path file) throws IOException, NoSuchAlgorithmException {
    MessageDigest digest = MessageDigest.getInstance("SHA-384");
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 16];
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /** The first entries whose name, order, time, size, CRC or extra field differ, for the failure message. */
  static String differences(Path a, Path b) throws IOException {
    Map<String, String> left = describeEntries(a);
    Map<String, String> right = describeEntries(b);
    List<String> out = new ArrayList<>();
    if (!new ArrayList<>(left.keySet()).equals(new ArrayList<>(right.keySet()))) {
      out.add("entry order or names differ (" + left.size() + " vs " + right.size() + " entries)");
    }
    for (Map.Entry<String, String> e : left.entrySet()) {
      String other = right.get(e.getKey());
      if (!e.getValue().equals(other) && out.size() < DIFFERENCES_SHOWN_MAX) {
        out.add(e.getKey() + ": " + e.getValue() + " vs " + other);
      }
    }
    return out.isEmpty() ? "entries equal; the archive's headers or comment differ" : String.join("; ", out);
  }

  private static Map<String, String> describeEntries(Path jar) throws IOException {
    Map<String, String> entries = new LinkedHashMap<>();
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      zip.stream().forEach(e -> entries.put(e.getName(), "time=" + e.getTimeLocal() + " size=" + e.getSize()
          + " crc=" + Long.toHexString(e.getCrc()) + " extra=" + (e.getExtra() == null ? 0 : e.getExtra().length)));
    }
    return entries;
  }
}
