package dev.veilraft.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;

/** Which store failures are the disk's (a restart on a fixed disk resumes) and which are the data's. */
class StateExceptionTest {
  private static final Path DIR = Path.of("/data/state");

  private static RocksDBException rocks(Status.Code code, Status.SubCode sub, String message) {
    return new RocksDBException(message, new Status(code, sub, message));
  }

  @Test
  void aRocksDbIoErrorIsADiskFailureAndCorruptionIsNot() {
    // Proves ENOSPC-like I/O errors are told apart from damage, whose message points at 'veilraft node recover'.
    StateException full = SealedRecords.rocksFailure("write", DIR,
        rocks(Status.Code.IOError, Status.SubCode.NoSpace, "While appending to file: 000004.log: No space left on device"));
    assertThat(full.isDiskFailure()).isTrue();
    assertThat(full.getMessage()).contains("RocksDB could not write state store /data/state").contains("No space left")
        .doesNotContain("recover");

    StateException damaged = SealedRecords.rocksFailure("read", DIR,
        rocks(Status.Code.Corruption, Status.SubCode.None, "block checksum mismatch"));
    assertThat(damaged.isDiskFailure()).isFalse();
    assertThat(damaged.getMessage()).contains("The store is damaged").contains("veilraft node recover");
  }

  @Test
  void dataThatDoesNotAuthenticateIsNotADiskFailure() {
    // Proves only the explicit factory marks a disk failure: every other store error (altered records, a wrong key) is not.
    assertThat(new StateException("state record does not authenticate").isDiskFailure()).isFalse();
    assertThat(StateException.diskFailure("cannot write the node-local mirror", new java.io.IOException("EIO"))
        .isDiskFailure()).isTrue();
  }
}
