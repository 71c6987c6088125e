package dev.veilraft.node;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The exclusive lock on a node's data directory, held for as long as the node (or a command that
 * writes its keys) runs: a second node started on the same directory fails at once instead of
 * sharing the Raft log, the state store and the sealed keys. The lock is an OS file lock on
 * {@code <dataDir>/veilraft.lock}, so it disappears with the process even after a crash; the file
 * holds the holder's pid as a hint for the error message, nothing depends on it.
 *
 * <p>Acquiring checks the directory first (exists or can be created, is a directory, readable and
 * writable) and touches nothing but the lock file.
 */
public final class DataDirLock implements AutoCloseable {
  public static final String FILE_NAME = "veilraft.lock";
  /** The pid text in the lock file is a few digits; anything longer is not ours. */
  static final int HOLDER_TEXT_BYTES_MAX = 64;

  private final Path dir;
  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(Path dir, FileChannel channel, FileLock lock) {
    this.dir = dir;
    this.channel = channel;
    this.lock = lock;
  }

  /** Locks {@code dataDir} (creating it if absent) or throws naming the directory and, if known, the holder. */
  public static DataDirLock acquire(Path dataDir) throws NodeException {
    checkUsable(dataDir);
    Path file = dataDir.resolve(FILE_NAME);
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE,
          java.nio.file.LinkOption.NOFOLLOW_LINKS);
    } catch (AccessDeniedException e) {
      throw new NodeException("DATA_DIR_UNUSABLE", "data directory " + dataDir + " (key 'dataDir'): cannot open "
          + file + ": permission denied");
    } catch (IOException e) {
      throw new NodeException("DATA_DIR_UNUSABLE", "data directory " + dataDir + " (key 'dataDir'): cannot open "
          + file + ": " + e.getMessage(), e);
    }
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    } catch (IOException e) {
      closeQuietly(channel);
      throw new NodeException("DATA_DIR_UNUSABLE", "data directory " + dataDir + ": cannot lock " + file + ": "
          + e.getMessage(), e);
    }
    if (lock == null) {
      String holder = holder(channel);
      closeQuietly(channel);
      throw new NodeException("DATA_DIR_LOCKED", "data directory " + dataDir + " is in use by another node"
          + (holder.isEmpty() ? "" : " (pid " + holder + ")") + ": stop it first, or give this node its own "
          + "'dataDir'; nothing was changed");
    }
    try {
      byte[] pid = Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.US_ASCII);
      channel.truncate(0);
      channel.write(ByteBuffer.wrap(pid), 0);
      channel.force(false);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new NodeException("DATA_DIR_UNUSABLE", "data directory " + dataDir + ": cannot write " + file + ": "
          + e.getMessage(), e);
    }
    return new DataDirLock(dataDir, channel, lock);
  }

  /** Refuses a data directory the node could not use, before anything is written to it. */
  static void checkUsable(Path dataDir) throws NodeException {
    if (Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
      throw new NodeException("DATA_DIR_UNUSABLE", "data directory " + dataDir + " (key 'dataDir') is not a "
          + "directory");
    }
    if (!Files.exists(dataDir)) {
      try {
        Files.createDirectories(dataDir);
      } catch (IOException e) {
        throw new NodeException("DATA_DIR_UNUSABLE", "data directory " + dataDir + " (key 'dataDir') does not exist "
            + "and cannot be created: " + e, e);
      }
    }
    if (!Files.isReadable(dataDir) || !Files.isWritable(dataDir) || !Files.isExecutable(dataDir)) {
      throw new NodeException("DATA_DIR_UNUSABLE", "data directory " + dataDir + " (key 'dataDir') is not readable "
          + "and writable by this user: fix its owner or permissions");
    }
  }

  private static String holder(FileChannel channel) {
    try {
      ByteBuffer buffer = ByteBuffer.allocate(HOLDER_TEXT_BYTES_MAX);
      channel.read(buffer, 0);
      String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).trim();
      return text.matches("\\d{1,19}") ? text : "";
    } catch (IOException e) {
      return "";
    }
  }

  public Path dir() {
    return dir;
  }

  /** Releases the lock; the file stays (removing it would race with a node taking the lock). */
  @Override
  public void close() {
    try {
      lock.release();
    } catch (IOException e) {
      // The channel's close below releases it too.
    }
    closeQuietly(channel);
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // Nothing left to do: closing only releases the descriptor.
    }
  }
}
