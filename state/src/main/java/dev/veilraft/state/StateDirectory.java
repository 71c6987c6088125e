package dev.veilraft.state;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's state store directory ({@code <dir>}) and its replacement by a store imported from a
 * snapshot. The swap uses two sibling directories: {@code <dir>.new} (the import) and {@code
 * <dir>.old} (the store being replaced):
 *
 * <ol>
 *   <li>import into {@code <dir>.new} (synced, flushed) and close it; close the current store;
 *   <li>rename {@code <dir>} to {@code <dir>.old}; rename {@code <dir>.new} to {@code <dir>};
 *       fsync the parent;
 *   <li>delete {@code <dir>.old}; open {@code <dir>}.
 * </ol>
 *
 * <p>{@code <dir>.old} exists only once {@code <dir>.new} is complete, so {@link #open} finishes
 * a half-done swap the one way it can: with {@code <dir>.old} present it completes the swap;
 * otherwise a {@code <dir>.new} is an import that may not have finished and is deleted (the node
 * keeps its old store; Ratis still holds the snapshot file and installs it again at start).
 */
public final class StateDirectory implements StoreReplacement {
  private static final Logger log = LoggerFactory.getLogger(StateDirectory.class);

  private final Path dir;
  private final Path newDir;
  private final Path oldDir;
  private final byte[] storageSecret;

  public StateDirectory(Path dir, byte[] storageSecret) {
    this.dir = Objects.requireNonNull(dir, "dir").toAbsolutePath();
    this.newDir = this.dir.resolveSibling(this.dir.getFileName() + ".new");
    this.oldDir = this.dir.resolveSibling(this.dir.getFileName() + ".old");
    this.storageSecret = Objects.requireNonNull(storageSecret, "storageSecret").clone();
  }

  public Path path() {
    return dir;
  }

  /** Finishes or rolls back a swap a crash interrupted, then opens the store. */
  public RocksDbStateStore open() throws StateException {
    try {
      recover();
    } catch (IOException e) {
      throw new StateException("cannot recover the state directory swap at " + dir + ": " + e, e);
    }
    return RocksDbStateStore.open(dir, storageSecret);
  }

  private void recover() throws IOException {
    if (Files.exists(oldDir)) {
      if (Files.exists(newDir)) {
        // Crashed between the two renames: the import in .new is complete (it was closed before .old appeared).
        if (Files.exists(dir)) {
          throw new IOException("state directories " + dir + ", " + oldDir + " and " + newDir
              + " all exist: a swap cannot leave that; inspect them by hand");
        }
        log.warn("completing an interrupted state swap: {} becomes {}", newDir, dir);
        Files.move(newDir, dir, StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(dir.getParent());
      }
      log.warn("deleting the replaced state store {}", oldDir);
      deleteRecursively(oldDir);
    } else if (Files.exists(newDir)) {
      log.warn("deleting an import that did not finish: {}", newDir);
      deleteRecursively(newDir);
    }
  }

  @Override
  public StateStore replace(StateStore current, long appliedIndex, RecordSource source)
      throws StateException, IOException {
    if (Files.exists(newDir)) {
      deleteRecursively(newDir);
    }
    try {
      RocksDbStateStore imported = RocksDbStateStore.importRecords(newDir, storageSecret, appliedIndex, source);
      imported.close();
    } catch (StateException | IOException | RuntimeException e) {
      deleteQuietly(newDir);
      throw e;
    }
    current.close();
    Files.move(dir, oldDir, StandardCopyOption.ATOMIC_MOVE);
    Files.move(newDir, dir, StandardCopyOption.ATOMIC_MOVE);
    syncDirectory(dir.getParent());
    deleteRecursively(oldDir);
    RocksDbStateStore opened = RocksDbStateStore.open(dir, storageSecret);
    log.info("state store {} replaced by a snapshot at index {}", dir, appliedIndex);
    return opened;
  }

  /**
   * Moves this node's store, and any half-finished swap beside it ({@code <dir>.new}, {@code
   * <dir>.old}), into {@code quarantine}, which must be on the same file system; deletes nothing.
   * The next {@link #open} creates an empty store. The store must be closed. The half-finished
   * swap goes first, so that a crash part-way leaves at worst a store without its swap debris.
   *
   * @return the directories moved, at their new places
   */
  public List<Path> quarantineInto(Path quarantine) throws IOException {
    Files.createDirectories(quarantine);
    List<Path> moved = new ArrayList<>();
    for (Path from : List.of(newDir, oldDir, dir)) {
      if (Files.exists(from)) {
        Path to = quarantine.resolve(from.getFileName());
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        moved.add(to);
        log.warn("moved state directory {} to quarantine as {}", from, to);
      }
    }
    syncDirectory(quarantine);
    syncDirectory(dir.getParent());
    return moved;
  }

  /** Makes the renames in {@code directory} durable. */
  static void syncDirectory(Path directory) throws IOException {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  private static void deleteQuietly(Path path) {
    try {
      deleteRecursively(path);
    } catch (IOException e) {
      log.warn("could not delete {}: {}", path, e.toString());
    }
  }

  static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    Files.walkFileTree(path, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
