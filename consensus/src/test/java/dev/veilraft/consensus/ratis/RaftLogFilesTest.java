package dev.veilraft.consensus.ratis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the Raft log starts is read from Ratis 3.3's segment file names, as Ratis itself loads them. */
class RaftLogFilesTest {
  @TempDir Path dir;

  /** The lowest start among closed and open segments wins; other files (metadata, snapshots) do not count. */
  @Test
  void theLowestSegmentStartIsTheLogsFirstIndex() throws IOException {
    write("log_120-139", 10);
    write("log_140-159", 10);
    write("log_inprogress_160", 10);
    write("raft-meta", 10);
    write("raft-meta.conf", 10);
    write("snapshot.2_119", 10);
    write("log_99-x", 10);

    assertThat(RaftLogFiles.firstIndex(dir)).isEqualTo(OptionalLong.of(120));
  }

  /** An open segment with a suffix after a dot counts; an empty open segment does not, as Ratis deletes it. */
  @Test
  void openSegmentsCountOnlyWhenTheyHoldBytes() throws IOException {
    write("log_inprogress_7", 0);
    assertThat(RaftLogFiles.firstIndex(dir)).isEmpty();
    write("log_inprogress_9.corrupt", 3);
    assertThat(RaftLogFiles.firstIndex(dir)).isEqualTo(OptionalLong.of(9));
    assertThat(Files.exists(dir.resolve("log_inprogress_7"))).as("reading names deletes nothing").isTrue();
  }

  /** A fresh log (no segment at all) has no first index; a log from the start begins at 0. */
  @Test
  void aFreshLogHasNoFirstIndex() throws IOException {
    assertThat(RaftLogFiles.firstIndex(dir)).isEmpty();
    write("log_0-14", 10);
    assertThat(RaftLogFiles.firstIndex(dir)).isEqualTo(OptionalLong.of(0));
  }

  /** A segment name whose index does not fit a log index is an error naming the file, not a crash. */
  @Test
  void anIndexPastTheRangeIsAClearError() throws IOException {
    write("log_99999999999999999999-99999999999999999999", 10);
    assertThatThrownBy(() -> RaftLogFiles.firstIndex(dir)).isInstanceOf(IOException.class)
        .hasMessageContaining("log_99999999999999999999-99999999999999999999")
        .hasMessageContaining("not a log index");
  }

  private void write(String name, int bytes) throws IOException {
    Files.write(dir.resolve(name), new byte[bytes]);
  }
}
