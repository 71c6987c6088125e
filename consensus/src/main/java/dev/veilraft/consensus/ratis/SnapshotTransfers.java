package dev.veilraft.consensus.ratis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Reads how far a snapshot from the leader has arrived. Ratis (3.x, {@code SnapshotManager}) does
 * not report a transfer; it writes each InstallSnapshot chunk into
 * {@code <tmp>/snapshot-<requestId>/...} and, after the last chunk, renames that directory into
 * the state machine directory. The bytes under the newest such directory are the bytes received
 * so far (chunks arrive in order, so a file's length is what has been written). Its MD5 side
 * files are left out, so the sum compares with the sender's snapshot file size. (Layout checked
 * against a real transfer in SnapshotIT's joiner: {@code <group>/tmp/snapshot-<uuid>/snapshot.1_899}.)
 */
final class SnapshotTransfers {
  /** The directory Ratis names for one InstallSnapshot request: this prefix and the request id. */
  static final String TRANSFER_DIR_PREFIX = "snapshot-";
  /**
   * Marks Ratis' digest side file next to each received snapshot file ({@code <name>.md5}, written
   * as {@code <name>.md5.tmp} first).
   */
  static final String DIGEST_MARK = ".md5";
  /**
   * A transfer directory with no write for this long is a leftover (an aborted transfer, which
   * Ratis does not delete), not a transfer in progress.
   */
  static final Duration IDLE_MAX = Duration.ofSeconds(30);
  /** Files looked at per transfer directory (a veilraft snapshot is one file); more are not counted. */
  static final int FILES_MAX = 64;
  /** Directory depth walked below a transfer directory (Ratis keeps the sender's relative path). */
  static final int DEPTH_MAX = 4;
  /**
   * Entries of the tmp directory looked at per scan: Ratis never deletes the directories of
   * aborted transfers, and {@code /v1/status} scans on every call, so the work per call is bounded
   * whatever accumulates (one transfer runs at a time; leftovers beyond this are not looked at).
   */
  static final int ENTRIES_MAX = 32;

  /** A snapshot transfer in progress: bytes written so far and when the last of them was. */
  record Transfer(long bytesReceived, Instant lastWrite) {}

  /**
   * The transfer under {@code tmpDir} written to most recently, if that was at most
   * {@link #IDLE_MAX} before {@code now}; empty when there is none (or the directory cannot be
   * read: progress is for display and never fails the caller).
   */
  static Optional<Transfer> scan(Path tmpDir, Instant now) {
    if (tmpDir == null || !Files.isDirectory(tmpDir)) {
      return Optional.empty();
    }
    Transfer newest = null;
    try (Stream<Path> dirs = Files.list(tmpDir).limit(ENTRIES_MAX)) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        if (!dir.getFileName().toString().startsWith(TRANSFER_DIR_PREFIX) || !Files.isDirectory(dir)) {
          continue;
        }
        Transfer t = measure(dir);
        if (t != null && (newest == null || t.lastWrite().isAfter(newest.lastWrite()))) {
          newest = t;
        }
      }
    } catch (IOException | UncheckedIOException e) {
      // Ratis renamed or deleted the directory while it was read: the transfer just ended.
      return Optional.empty();
    }
    if (newest == null || newest.lastWrite().isBefore(now.minus(IDLE_MAX))) {
      return Optional.empty();
    }
    return Optional.of(newest);
  }

  /** The bytes and last write under one transfer directory; null when it holds no file yet. */
  private static Transfer measure(Path dir) throws IOException {
    long bytes = 0;
    Instant last = null;
    try (Stream<Path> files = Files.walk(dir, DEPTH_MAX)) {
      var it = files.iterator();
      int seen = 0;
      while (it.hasNext() && seen < FILES_MAX) {
        Path file = it.next();
        BasicFileAttributes attributes;
        try {
          attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
          continue; // renamed away meanwhile
        }
        if (!attributes.isRegularFile() || file.getFileName().toString().contains(DIGEST_MARK)) {
          continue;
        }
        seen++;
        bytes += attributes.size();
        Instant modified = attributes.lastModifiedTime().toInstant();
        if (last == null || modified.isAfter(last)) {
          last = modified;
        }
      }
    }
    return last == null ? null : new Transfer(bytes, last);
  }

  private SnapshotTransfers() {}
}
