package dev.veilraft.consensus.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SnapshotTransfers#scan}: reads the bytes of the transfer Ratis is writing in its tmp
 * directory (layout of Ratis 3.3's SnapshotManager), ignoring digests, leftovers and other files.
 */
class SnapshotTransfersTest {
  private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");

  @TempDir Path tmp;

  private Path file(String relative, int size, Instant modified) throws Exception {
    Path file = tmp.resolve(relative);
    Files.createDirectories(file.getParent());
    Files.write(file, new byte[size]);
    Files.setLastModifiedTime(file, FileTime.from(modified));
    return file;
  }

  @Test
  void noDirectoryOrNoTransferIsEmpty() throws Exception {
    // Proves a missing tmp dir, an empty one, and unrelated or still empty transfer dirs report no transfer.
    assertThat(SnapshotTransfers.scan(tmp.resolve("absent"), NOW)).isEmpty();
    assertThat(SnapshotTransfers.scan(tmp, NOW)).isEmpty();
    file("other/sm/snapshot.1_10", 100, NOW);
    Files.createDirectories(tmp.resolve("snapshot-req1"));
    assertThat(SnapshotTransfers.scan(tmp, NOW)).isEmpty();
  }

  @Test
  void countsTheReceivedSnapshotFileWithoutItsDigest() throws Exception {
    // Proves the bytes are those of the snapshot file Ratis writes (named relative to the state machine dir), without the .md5.
    file("snapshot-req1/snapshot.2_40", 3000, NOW.minusSeconds(1));
    file("snapshot-req1/snapshot.2_40.md5", 60, NOW.minusSeconds(1));
    file("snapshot-req1/snapshot.2_40.md5.tmp", 49, NOW.minusSeconds(1));
    var transfer = SnapshotTransfers.scan(tmp, NOW);
    assertThat(transfer).isPresent();
    assertThat(transfer.get().bytesReceived()).isEqualTo(3000);
    assertThat(transfer.get().lastWrite()).isEqualTo(NOW.minusSeconds(1));
  }

  @Test
  void theNewestTransferCountsAndAnIdleLeftoverDoesNot() throws Exception {
    // Proves an aborted transfer's leftover directory is ignored once idle, and the one written last is reported.
    file("snapshot-old/snapshot.1_20", 9000, NOW.minus(SnapshotTransfers.IDLE_MAX).minusSeconds(1));
    assertThat(SnapshotTransfers.scan(tmp, NOW)).isEmpty();
    file("snapshot-new/snapshot.3_60", 1200, NOW.minusSeconds(2));
    assertThat(SnapshotTransfers.scan(tmp, NOW)).hasValueSatisfying(t -> assertThat(t.bytesReceived()).isEqualTo(1200));
  }
}
