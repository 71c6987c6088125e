package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data directory lock: one holder at a time, a message naming the directory and pid, released on close. */
class DataDirLockTest {
  @TempDir Path dir;

  @Test
  void aSecondHolderIsRefusedWithTheDirectoryAndPidUntilTheFirstReleases() throws Exception {
    // Proves the lock is exclusive, names the directory and the holder's pid, and can be taken again after close.
    Path data = dir.resolve("node1");
    try (DataDirLock first = DataDirLock.acquire(data)) {
      assertThat(first.dir()).isEqualTo(data);
      assertThat(Files.readString(data.resolve(DataDirLock.FILE_NAME))).isEqualTo(
          Long.toString(ProcessHandle.current().pid()));
      assertThatThrownBy(() -> DataDirLock.acquire(data)).isInstanceOfSatisfying(NodeException.class,
          e -> assertThat(e.code()).isEqualTo("DATA_DIR_LOCKED"))
          .hasMessageContaining(data.toString()).hasMessageContaining("pid " + ProcessHandle.current().pid());
    }
    try (DataDirLock again = DataDirLock.acquire(data)) {
      assertThat(again.dir()).isEqualTo(data);
    }
  }

  @Test
  void aLockFileThatIsASymlinkIsRefusedAndItsTargetLeftAlone() throws Exception {
    // Proves a veilraft.lock planted as a symlink is not followed: the start fails, and the file it points to keeps
    // its content (the lock would otherwise truncate it to write the pid).
    Path data = Files.createDirectories(dir.resolve("node2"));
    Path victim = Files.writeString(dir.resolve("victim"), "precious");
    Files.createSymbolicLink(data.resolve(DataDirLock.FILE_NAME), victim);
    assertThatThrownBy(() -> DataDirLock.acquire(data)).isInstanceOfSatisfying(NodeException.class,
        e -> assertThat(e.code()).isEqualTo("DATA_DIR_UNUSABLE")).hasMessageContaining(data.toString());
    assertThat(Files.readString(victim)).isEqualTo("precious");
  }

  @Test
  void aFileWhereTheDirectoryShouldBeIsRefusedAndLeftAlone() throws Exception {
    // Proves a data directory that is a regular file fails with a message naming it and the key, and is not changed.
    Path file = Files.writeString(dir.resolve("not-a-dir"), "keep me");
    assertThatThrownBy(() -> DataDirLock.acquire(file)).isInstanceOfSatisfying(NodeException.class,
        e -> assertThat(e.code()).isEqualTo("DATA_DIR_UNUSABLE"))
        .hasMessageContaining(file.toString()).hasMessageContaining("'dataDir'").hasMessageContaining("not a directory");
    assertThat(Files.readString(file)).isEqualTo("keep me");
  }

  @Test
  void anUnwritableDirectoryIsRefused() throws Exception {
    // Proves a directory this user cannot write is refused before anything is created in it.
    Path data = Files.createDirectories(dir.resolve("readonly"));
    try (RefusedDirectory refused = RefusedDirectory.refuse(data)) {
      assertThatThrownBy(() -> DataDirLock.acquire(data)).isInstanceOf(NodeException.class)
          .hasMessageContaining(data.toString()).hasMessageContaining("not readable and writable");
      assertThat(data.resolve(DataDirLock.FILE_NAME)).doesNotExist();
    }
  }
}
