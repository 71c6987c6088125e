package dev.veilraft.consensus.ratis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.junit.jupiter.api.Test;

/** {@link VeilraftStateMachine#latestSnapshot}: the workaround for Ratis 3.3's latest-snapshot race. */
class LatestSnapshotRaceTest {
  private static final SingleFileSnapshotInfo SNAPSHOT = new SingleFileSnapshotInfo(
      new FileInfo(Path.of("snapshot.1_42"), null), 1, 42);

  @Test
  void ratisThrowsWhenAListingFindsNothingAfterAnotherThreadSetTheLatestSnapshot() {
    // The bug itself: getLatestSnapshot merges its directory listing (null: no file found) into a field that another
    // thread set meanwhile, and the merge compares the null's index. If Ratis fixes it, this test says so.
    SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    storage.updateLatestSnapshot(SNAPSHOT);
    assertThatThrownBy(() -> storage.updateLatestSnapshot(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void aReadThatLosesTheRaceReadsAgainAndGetsTheSnapshotTheOtherThreadSet() {
    // Proves the helper answers with the snapshot the other thread set instead of failing the caller (a status
    // request, or Ratis asking the state machine).
    SimpleStateMachineStorage racing = new SimpleStateMachineStorage() {
      private boolean raced;

      @Override
      public SingleFileSnapshotInfo getLatestSnapshot() {
        if (!raced) {
          raced = true;
          updateLatestSnapshot(SNAPSHOT); // the other thread, between this read's listing and its merge
          return updateLatestSnapshot(null); // the listing found nothing: Ratis' merge throws here
        }
        return super.getLatestSnapshot();
      }
    };
    assertThat(VeilraftStateMachine.latestSnapshot(racing)).isSameAs(SNAPSHOT);
  }

  @Test
  void aReloadThatListsNoSnapshotAfterOneWasKnownAnswersNoneInsteadOfThrowing() {
    // Proves an install that finds no snapshot on disk gets the state machine's own "holds none" error (null here),
    // not Ratis' NullPointerException from merging that empty listing into the snapshot it knew.
    SimpleStateMachineStorage emptied = new SimpleStateMachineStorage() {
      @Override
      public SingleFileSnapshotInfo loadLatestSnapshot() {
        updateLatestSnapshot(SNAPSHOT); // known before
        return updateLatestSnapshot(null); // the directory now lists none
      }
    };
    assertThat(VeilraftStateMachine.reloadLatestSnapshot(emptied)).isNull();
  }
}
