package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.seal.NodeKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The refusals of {@link Recovery} that need no running cluster: each leaves the data directory
 * exactly as it was and names what is wrong.
 */
class RecoveryTest {
  @TempDir Path root;

  /** A node data directory with sealed keys, a damaged state store and a Raft group directory with the given log files. */
  private NodeConfig node(List<String> logFiles, List<String> snapshotFiles) throws Exception {
    LocalCluster.Layout layout = TestClusters.create(root.resolve("cluster"), 1, new byte[48]);
    NodeConfig config = layout.nodes().get(0);
    Files.createDirectories(config.dataDir());
    NodeKeys.loadOrCreate(config.dataDir(), NodePlatform.open(config, null).sealer(), Clock.systemUTC().instant());
    Files.createDirectories(config.dataDir().resolve("state"));
    Files.writeString(config.dataDir().resolve("state").resolve("CURRENT"), "not a manifest");
    Path group = config.dataDir().resolve("raft").resolve("02511d5e-0000-0000-0000-000000000000");
    Files.createDirectories(group.resolve("current"));
    Files.createDirectories(group.resolve("sm"));
    Files.write(group.resolve("current").resolve("raft-meta"), new byte[16]);
    for (String log : logFiles) {
      Files.write(group.resolve("current").resolve(log), new byte[8]);
    }
    for (String snapshot : snapshotFiles) {
      Files.write(group.resolve("sm").resolve(snapshot), new byte[8]);
    }
    return config;
  }

  private static void assertUntouched(NodeConfig config) {
    assertThat(config.dataDir().resolve("state").resolve("CURRENT")).exists();
    assertThat(config.dataDir().resolve(Recovery.QUARANTINE_DIR)).doesNotExist();
    assertThat(Recovery.isRecoveredMember(config.dataDir())).isFalse();
  }

  @Test
  void aNodeWithoutRaftStorageIsToldToJoinInstead() throws Exception {
    // Proves recovery is only for members: with no Raft storage there is nothing to catch up from, and nothing moves.
    NodeConfig config = node(List.of(), List.of());
    Path raft = config.dataDir().resolve("raft");
    try (var files = Files.walk(raft)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    assertThatThrownBy(() -> Recovery.run(config, false, Clock.systemUTC()))
        .isInstanceOf(NodeException.class).hasMessageContaining("no Raft storage")
        .satisfies(e -> assertThat(((NodeException) e).code()).isEqualTo("NOT_A_MEMBER"));
    assertUntouched(config);
  }

  @Test
  void aLogThatStartsAfterTheLatestSnapshotIsRefusedBecauseRatisWouldHang() throws Exception {
    // Proves the trap Ratis would fall into (state at 0, log purged, no snapshot covering the gap) is refused up front.
    NodeConfig config = node(List.of("log_40-49", "log_inprogress_50"), List.of());
    assertThatThrownBy(() -> Recovery.run(config, false, Clock.systemUTC()))
        .isInstanceOf(NodeException.class).hasMessageContaining("starts at index 40")
        .satisfies(e -> assertThat(((NodeException) e).code()).isEqualTo("LOG_GAP"));
    assertUntouched(config);
  }

  @Test
  void aLatestSnapshotWhoseHeaderDoesNotReadIsRefused() throws Exception {
    // Proves a damaged local snapshot (the one the rebuild would start from) stops recovery before anything moves.
    NodeConfig config = node(List.of("log_40-49"), List.of("snapshot.1_20", "snapshot.2_39"));
    assertThatThrownBy(() -> Recovery.run(config, false, Clock.systemUTC()))
        .isInstanceOf(NodeException.class).hasMessageContaining("snapshot.2_39")
        .satisfies(e -> assertThat(((NodeException) e).code()).isEqualTo("SNAPSHOT_UNREADABLE"));
    assertUntouched(config);
  }

  @Test
  void aDataDirectoryWithoutKeysIsNotAMembersAndNoKeysAreCreated() throws Exception {
    // Proves recover never creates keys: a directory without keys.sealed is refused.
    NodeConfig config = node(List.of("log_0-9"), List.of());
    Files.delete(config.dataDir().resolve(NodeKeys.FILE_NAME));
    assertThatThrownBy(() -> Recovery.run(config, false, Clock.systemUTC()))
        .isInstanceOf(NodeException.class)
        .satisfies(e -> assertThat(((NodeException) e).code()).isEqualTo("NO_KEYS"));
    assertThat(config.dataDir().resolve(NodeKeys.FILE_NAME)).doesNotExist();
    assertUntouched(config);
  }

  @Test
  void aDamagedStoreWithACompleteLogIsQuarantinedAndTheNodeMarkedAsARecoveredMember() throws Exception {
    // Proves the success path on disk: the store moves to quarantine with a note, nothing is deleted, and the marker is written.
    NodeConfig config = node(List.of("log_0-9", "log_inprogress_10"), List.of());
    Recovery.Report report = Recovery.run(config, false, Clock.systemUTC());
    assertThat(report.damage()).contains("RocksDB could not open state store");
    assertThat(report.moved()).containsExactly(report.quarantine().resolve("state"));
    assertThat(report.quarantine().resolve("state").resolve("CURRENT")).hasContent("not a manifest");
    assertThat(Files.readString(report.quarantine().resolve("RECOVERY.txt"))).contains("the local Raft log and the peers");
    assertThat(config.dataDir().resolve("state")).doesNotExist();
    assertThat(Recovery.isRecoveredMember(config.dataDir())).isTrue();
  }
}
