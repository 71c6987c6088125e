package dev.veilraft.membership;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.membership.Governance.Outcome;
import dev.veilraft.membership.proto.ProposalRecord;
import dev.veilraft.membership.proto.ProposalStatus;
import dev.veilraft.membership.proto.SignedGov;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.StateTransaction;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Governance records in the encrypted state store: the open index follows status, and committed records list. */
class GovernanceStoreTest {
  private static final byte[] SECRET = new byte[32];

  @Test
  void recordsAndTheOpenIndexSurviveCommitsAndListNewestFirst(@TempDir Path dir) throws Exception {
    // Proves GovernanceStore gives Governance the same answers as the in-memory ledger, across committed entries.
    GovernanceTest.genesis();
    MembershipView view = GovernanceTest.view(List.of(), 0, GovernanceTest.voters(3));
    SignedGov first = GovernanceTest.signed(GovernanceTest.proposal("alice"));
    SignedGov second = GovernanceTest.signed(GovernanceTest.proposal("bob"));
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      StateTransaction tx = store.begin();
      Governance.propose(view, first, 1, GovernanceTest.T0, new GovernanceStore(tx));
      tx.commit(1);
      tx = store.begin();
      Governance.propose(view, second, 2, GovernanceTest.T0, new GovernanceStore(tx));
      tx.commit(2);

      tx = store.begin();
      GovernanceStore ledger = new GovernanceStore(tx);
      assertThat(ledger.open()).hasSize(2);
      assertThat(ledger.open()).isSortedAccordingTo((a, b) -> Arrays.compareUnsigned(
          a.getProposalId().toByteArray(), b.getProposalId().toByteArray()));
      SignedGov ballot = GovernanceMessages.sign(GovernanceMessages.ballot(GovernanceTest.cluster,
          GovernanceMessages.proposalId(first), "carol", true), GovernanceTest.KEYS.get("carol"));
      Outcome approved = Governance.vote(view, ballot, 3, GovernanceTest.T0, ledger);
      assertThat(approved.approved()).isPresent();
      assertThat(ledger.open()).hasSize(1).first()
          .satisfies(r -> assertThat(r.getProposer()).isEqualTo("bob"));
      tx.commit(3);

      List<ProposalRecord> listed = GovernanceStore.list(store);
      assertThat(listed).extracting(ProposalRecord::getProposedIndex).containsExactly(2L, 1L);
      assertThat(listed).extracting(ProposalRecord::getStatus).containsExactly(ProposalStatus.OPEN, ProposalStatus.APPLIED);
      assertThat(GovernanceStore.get(store, GovernanceMessages.proposalId(first))).contains(approved.record());
    }
  }
}
