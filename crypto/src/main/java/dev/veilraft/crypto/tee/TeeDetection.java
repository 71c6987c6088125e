package dev.veilraft.crypto.tee;

import dev.veilraft.crypto.Hashes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Looks for the TEE interfaces of this machine: the configfs-tsm report directory
 * ({@code <sysRoot>/sys/kernel/config/tsm/report}) and the guest devices
 * ({@code <devRoot>/dev/sev-guest}, {@code /dev/tdx_guest}, {@code /dev/nsm}). Both roots are "/"
 * in production and a temporary directory in tests. Detection only looks; the one thing it
 * writes is a short-lived configfs-tsm entry, made and removed to read the provider's name,
 * which costs no report.
 */
public final class TeeDetection {
  static final String TSM_REPORT = "sys/kernel/config/tsm/report";
  static final String SEV_GUEST = "dev/sev-guest";
  static final String TDX_GUEST = "dev/tdx_guest";
  static final String NSM = "dev/nsm";
  private static final SecureRandom RANDOM = new SecureRandom();

  private TeeDetection() {}

  /** Detection on this machine. */
  public static TeeEnvironment detect() {
    return detect(Path.of("/"), Path.of("/"));
  }

  /** Detection under other roots: {@code sysRoot} holds {@code sys/...}, {@code devRoot} holds {@code dev/...}. */
  public static TeeEnvironment detect(Path sysRoot, Path devRoot) {
    return detect(sysRoot, devRoot, ConfigfsFiles.KERNEL);
  }

  static TeeEnvironment detect(Path sysRoot, Path devRoot, ConfigfsFiles files) {
    List<String> notes = new ArrayList<>();
    Path reportDir = sysRoot.resolve(TSM_REPORT);
    Optional<TeeEnvironment.Node> configfs = Files.isDirectory(reportDir)
        ? Optional.of(new TeeEnvironment.Node(reportDir, Files.isWritable(reportDir))) : Optional.empty();
    Optional<String> provider = configfs.isPresent() ? probeProvider(reportDir, files, notes) : Optional.empty();
    return new TeeEnvironment(configfs, provider, device(devRoot.resolve(SEV_GUEST)), device(devRoot.resolve(TDX_GUEST)),
        device(devRoot.resolve(NSM)), notes);
  }

  private static Optional<TeeEnvironment.Node> device(Path path) {
    if (!Files.exists(path)) {
      return Optional.empty();
    }
    return Optional.of(new TeeEnvironment.Node(path, Files.isReadable(path) && Files.isWritable(path)));
  }

  /** Makes an entry, reads its provider, removes it; the kernel makes no report until outblob is read. */
  private static Optional<String> probeProvider(Path reportDir, ConfigfsFiles files, List<String> notes) {
    byte[] random = new byte[4];
    RANDOM.nextBytes(random);
    Path entry = reportDir.resolve("veilraft-probe-" + ProcessHandle.current().pid() + "-" + Hashes.hex(random));
    try {
      files.mkdir(entry);
    } catch (IOException e) {
      notes.add("could not make a configfs-tsm probe entry to read the provider (" + e.getClass().getSimpleName()
          + "): run as root to use configfs-tsm");
      return Optional.empty();
    }
    try {
      Path attribute = entry.resolve("provider");
      if (!files.exists(attribute)) {
        notes.add("the configfs-tsm probe entry has no provider attribute: no TSM driver is loaded");
        return Optional.empty();
      }
      String provider = new String(files.read(attribute, ConfigfsTsmAttester.ATTRIBUTE_TEXT_BYTES_MAX),
          StandardCharsets.US_ASCII).trim();
      return provider.isEmpty() ? Optional.empty() : Optional.of(provider);
    } catch (IOException e) {
      notes.add("could not read the configfs-tsm provider: " + e);
      return Optional.empty();
    } finally {
      try {
        files.rmdir(entry);
      } catch (IOException e) {
        notes.add("could not remove the configfs-tsm probe entry " + entry + ": " + e);
      }
    }
  }
}
