package dev.veilraft.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The summary of async-profiler's collapsed stacks, on a small hand-written profile. */
class CollapsedTopTest {
  private static final String UPDATER = "[1b2ab3@group-AE12DBD3C4-StateMachineUpdater tid=17]";
  private static final String LOG_WORKER = "[1b2ab3@group-AE12DBD3C4-SegmentedRaftLogWorker tid=18]";

  private static String summarize(Path file) throws IOException {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(text, true, StandardCharsets.UTF_8)) {
      CollapsedTop.print(file, 15, out);
    }
    return text.toString(StandardCharsets.UTF_8);
  }

  @Test
  void chargesEachSampleToItsTopmostFrameOutsideTheJdkAndTheKernel(@TempDir Path dir) throws IOException {
    // Proves the parsing of async-profiler's format (root first, slashes in Java frames, a thread
    // root, kernel and C++ frames) and where samples are charged: an fsync's kernel time counts
    // for the Ratis log that called it (self) and for the kernel (inclusive).
    Path file = dir.resolve("p.collapsed");
    Files.writeString(file, String.join("\n",
        UPDATER + ";java/lang/Thread.run;dev/veilraft/consensus/Replica.apply;"
            + "dev/veilraft/state/RocksDbStateStore.write;org/rocksdb/RocksDB.write0;"
            + "rocksdb::DBImpl::WriteImpl;rocksdb::InlineSkipList<rocksdb::Cmp const&>::Insert 6",
        LOG_WORKER + ";java/lang/Thread.run;org/apache/ratis/server/raftlog/segmented/SegmentedRaftLogWorker.run;"
            + "sun/nio/ch/FileDispatcherImpl.force0;fsync;entry_SYSCALL_64_[k];ext4_sync_file_[k] 3",
        "[api-3-12 tid=40];java/lang/Thread.run;java/util/HashMap.get 1",
        ""));

    String summary = summarize(file);

    assertThat(summary).startsWith("profile p.collapsed: 10 samples");
    assertThat(section(summary, "components (self")).contains(" 60.0%  RocksDB (JNI)", " 30.0%  Ratis log (write, fsync)",
        " 10.0%  other (java.util)");
    assertThat(section(summary, "components (inclusive)")).contains(" 60.0%  veilraft state",
        " 30.0%  kernel (system calls");
    assertThat(section(summary, "threads")).contains(" 60.0%  raft: StateMachineUpdater",
        " 30.0%  raft: SegmentedRaftLogWorker", " 10.0%  api-#-#");
    assertThat(section(summary, "top frames")).contains(" 30.0%  ext4_sync_file_[k]");
    assertThat(section(summary, "veilraft methods")).contains(" 60.0%  dev.veilraft.consensus.Replica.apply");
  }

  @Test
  void foldsPoolNumbersAndRatisIdsOutOfThreadNames() {
    assertThat(StackSummary.threadKind("1b2ab3@group-AE12DBD3C4->d1e2d3-GrpcLogAppender-LogAppenderDaemon"))
        .isEqualTo("raft: GrpcLogAppender-LogAppenderDaemon");
    assertThat(StackSummary.threadKind("grpc-default-worker-ELG-3-1")).isEqualTo("grpc-default-worker-ELG-#-#");
    assertThat(StackSummary.threadKind("timer2")).isEqualTo("timer#");
    assertThat(StackSummary.threadKind("C2 CompilerThre")).isEqualTo("C2 CompilerThre");
  }

  @Test
  void refusesALineThatIsNotAStackAndACountNamingIt(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("bad.collapsed");
    Files.writeString(file, "a;b 3\n\na;b;c three\n");

    assertThatThrownBy(() -> summarize(file)).isInstanceOf(IOException.class)
        .hasMessageContaining("bad.collapsed line 3 is not a stack and a sample count: a;b;c three");
    Files.writeString(file, "a;b 3\n42\n");
    assertThatThrownBy(() -> summarize(file)).isInstanceOf(IOException.class)
        .hasMessageContaining("bad.collapsed line 2 is not a stack and a sample count: 42");
  }

  /** The lines of one table of the summary, from its title to the next title. */
  private static String section(String summary, String title) {
    int start = summary.indexOf("  " + title);
    assertThat(start).as("table " + title).isNotNegative();
    int end = summary.indexOf("\n  ", summary.indexOf('\n', start) + 1);
    while (end >= 0 && summary.startsWith("    ", end + 1)) {
      end = summary.indexOf("\n  ", end + 1);
    }
    return summary.substring(start, end < 0 ? summary.length() : end);
  }
}
