package dev.veilraft.consensus.ratis;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads where this node's Raft log starts from the names of its segment files, before Ratis opens
 * the log. Ratis 3.3 names a closed segment {@code log_<start>-<end>} and an open one
 * {@code log_inprogress_<start>} (optionally with a suffix after a dot), in the Raft storage's
 * {@code current} directory (its {@code LogSegmentStartEnd}). Its public {@code LogSegmentPath}
 * lists the same files but keeps the start index package-private, and deletes empty open segments
 * as it lists them; this class only reads names, so it has no side effect on the storage.
 */
final class RaftLogFiles {
  private static final Pattern CLOSED_SEGMENT = Pattern.compile("log_(\\d+)-(\\d+)");
  private static final Pattern OPEN_SEGMENT = Pattern.compile("log_inprogress_(\\d+)(?:\\..*)?");

  /** Ratis 3.3's file of the persisted term and vote in the {@code current} directory (its RaftStorageDirectoryImpl). */
  static final String META_FILE = "raft-meta";

  private RaftLogFiles() {}

  /**
   * The index of the first entry the log in {@code currentDir} can hold: the lowest start index
   * among its segment files. Empty when it has none (a fresh log). An open segment of zero bytes
   * does not count: Ratis deletes it when it opens the log.
   */
  static OptionalLong firstIndex(Path currentDir) throws IOException {
    long first = Long.MAX_VALUE;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(currentDir)) {
      for (Path entry : entries) {
        OptionalLong start = segmentStart(entry);
        if (start.isPresent()) {
          first = Math.min(first, start.getAsLong());
        }
      }
    }
    return first == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(first);
  }

  /** The start index named by segment file {@code file}, or empty when it is not a segment Ratis loads. */
  static OptionalLong segmentStart(Path file) throws IOException {
    String name = String.valueOf(file.getFileName());
    Matcher closed = CLOSED_SEGMENT.matcher(name);
    if (closed.matches()) {
      return parseIndex(closed.group(1), file);
    }
    Matcher open = OPEN_SEGMENT.matcher(name);
    // As Ratis does (LogSegmentPath): only an open segment that holds bytes is loaded.
    if (open.matches() && file.toFile().length() > 0) {
      return parseIndex(open.group(1), file);
    }
    return OptionalLong.empty();
  }

  private static OptionalLong parseIndex(String digits, Path file) throws IOException {
    try {
      return OptionalLong.of(Long.parseLong(digits));
    } catch (NumberFormatException e) {
      throw new IOException("raft log segment " + file + " names start index " + digits
          + ", which is not a log index", e);
    }
  }
}
