package dev.veilraft.simulator.cluster;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Size-limited disks for the {@code disk} fault: each node's data directory becomes a tmpfs of
 * {@link #SIZE_MB} (its files copied in), which {@link #fill} fills with a ballast file until the
 * kernel says ENOSPC and {@link #free} empties again. Needs root (mount); {@link #unavailableReason}
 * says why not before a run starts. {@link #unmountAll} copies every directory's files back to
 * the real disk and unmounts, also after a failed run (the cluster's close and the simulator's
 * shutdown hook call it); a mount left behind is named in the error it reports.
 */
public final class DiskMounts {
  /** Room per node: a simulated run writes a few MB, so the ballast, not the node, fills most of it. */
  public static final int SIZE_MB = 64;
  /** The ballast's name inside a data directory (never a name the node uses). */
  public static final String BALLAST = "sim-disk-ballast";
  static final int CHUNK_BYTES = 1 << 20;
  static final int PAGE_BYTES = 4096;
  static final long COMMAND_TIMEOUT_SECONDS = 30;

  private final Map<Path, Boolean> mounted = new LinkedHashMap<>();

  /** Empty when this process can mount a tmpfs; otherwise why not (not root, or mount refused). */
  public static Optional<String> unavailableReason(Path scratch) {
    try {
      Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      if (!Integer.valueOf(0).equals(uid)) {
        return Optional.of("disk faults mount a size-limited tmpfs on each node's data directory, which needs root "
            + "(this simulator runs as uid " + uid + ")");
      }
      Path probe = Files.createTempDirectory(scratch, "disk-probe-");
      try {
        String mount = run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe.toString());
        if (mount != null) {
          return Optional.of("disk faults need to mount a tmpfs, and mount refused: " + mount);
        }
        String umount = run("umount", probe.toString());
        if (umount != null) {
          return Optional.of("disk faults need to unmount a tmpfs, and umount refused: " + umount + " (" + probe
              + " is still mounted)");
        }
      } finally {
        Files.deleteIfExists(probe);
      }
      return Optional.empty();
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.of("disk faults cannot check for root and mount: " + e.getMessage());
    }
  }

  /** Puts {@code dir} (existing files kept) on a tmpfs of {@link #SIZE_MB}. */
  public synchronized void mount(Path dir) throws SimException {
    Path saved = dir.resolveSibling(dir.getFileName() + ".pre-tmpfs");
    try {
      Files.move(dir, saved);
      Files.createDirectories(dir);
      String error = run("mount", "-t", "tmpfs", "-o", "size=" + SIZE_MB + "m,mode=0700", "tmpfs", dir.toString());
      if (error != null) {
        Files.delete(dir);
        Files.move(saved, dir);
        throw new SimException("MOUNT_FAILED", "cannot mount a tmpfs on " + dir + ": " + error);
      }
      mounted.put(dir, true);
      error = run("cp", "-a", saved + "/.", dir.toString());
      if (error != null) {
        throw new SimException("MOUNT_FAILED", "cannot copy " + saved + " into the tmpfs on " + dir + ": " + error);
      }
      run("rm", "-rf", saved.toString());
    } catch (IOException e) {
      throw new SimException("MOUNT_FAILED", "cannot prepare " + dir + " for a tmpfs: " + e.getMessage(), e);
    }
  }

  public synchronized boolean isMounted(Path dir) {
    return mounted.containsKey(dir);
  }

  /** Writes a ballast file into {@code dir} until the tmpfs is full; returns the ballast's size in bytes. */
  public long fill(Path dir) throws SimException {
    if (!isMounted(dir)) {
      throw new SimException("NOT_MOUNTED", dir + " is not on a simulator tmpfs");
    }
    Path ballast = dir.resolve(BALLAST);
    byte[] chunk = new byte[CHUNK_BYTES];
    long bound = (long) SIZE_MB * CHUNK_BYTES;
    // Large writes until ENOSPC, then smaller ones, down to a page: the disk ends full to the last page.
    for (int size = CHUNK_BYTES; size >= PAGE_BYTES; size /= 16) {
      try (OutputStream out = Files.newOutputStream(ballast, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
        for (long written = 0; written < bound; written += size) {
          out.write(chunk, 0, size);
        }
      } catch (IOException full) {
        // No space left on the device: the point of the fault; try the next smaller size.
      }
    }
    try {
      return Files.size(ballast);
    } catch (IOException e) {
      throw new SimException("FILL_FAILED", "cannot size the ballast in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Deletes the ballast: the disk has room again. */
  public void free(Path dir) throws SimException {
    try {
      Files.deleteIfExists(dir.resolve(BALLAST));
    } catch (IOException e) {
      throw new SimException("FREE_FAILED", "cannot delete the ballast in " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Copies each mounted directory's files back to the real disk (ballast excluded) and unmounts it,
   * so the checkers and people find the files where they were. Returns what could not be undone.
   */
  public synchronized List<String> unmountAll() {
    List<String> problems = new ArrayList<>();
    for (Path dir : List.copyOf(mounted.keySet())) {
      Path saved = dir.resolveSibling(dir.getFileName() + ".from-tmpfs");
      try {
        Files.deleteIfExists(dir.resolve(BALLAST));
        Files.createDirectories(saved);
        String copy = run("cp", "-a", dir + "/.", saved.toString());
        String umount = run("umount", dir.toString());
        if (umount != null) {
          umount = run("umount", "-l", dir.toString());
        }
        if (umount != null) {
          problems.add(dir + " is still mounted (umount: " + umount + "); its files are copied to " + saved);
          continue;
        }
        mounted.remove(dir);
        if (copy != null) {
          problems.add("copying " + dir + " off its tmpfs failed (" + copy + "); what was copied is in " + saved);
          continue;
        }
        Files.delete(dir);
        Files.move(saved, dir);
      } catch (IOException e) {
        problems.add("cannot restore " + dir + " from its tmpfs: " + e.getMessage());
      }
    }
    return problems;
  }

  /** Runs a command; null when it succeeded, else its output and exit status. */
  private static String run(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return String.join(" ", command) + " did not finish within " + COMMAND_TIMEOUT_SECONDS + " s";
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      return "interrupted";
    }
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    return p.exitValue() == 0 ? null : "exit " + p.exitValue() + (output.isEmpty() ? "" : ": " + output);
  }
}
