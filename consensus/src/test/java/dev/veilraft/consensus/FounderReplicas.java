package dev.veilraft.consensus;

import dev.veilraft.consensus.SimulatedNodes.Node;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.membership.EpochKeyring;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.app.AppHost;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Replicas of one simulated founder, each over its own encrypted store: every one holds the
 * founder's identity and KEM key, so each opens what clients seal to the group. The set-up the
 * replica tests of client sessions and of grouped entries share; {@link #closeStores} after each test.
 */
final class FounderReplicas {
  final AttestationVerifier verifier = new AttestationVerifier();
  final GenesisDocument genesis;
  final byte[] clusterId;
  final Node founder;
  private final AppHost apps;
  private final List<RocksDbStateStore> stores = new ArrayList<>();

  FounderReplicas(AppHost apps) throws Exception {
    SimulatedNodes sim = SimulatedNodes.sharedPerJvm();
    this.apps = apps;
    this.genesis = sim.genesis(g -> g);
    this.clusterId = genesis.clusterId();
    this.founder = sim.node();
  }

  /** A new replica over a new store named {@code name} under {@code dir}. */
  Replica replica(Path dir, String name) throws Exception {
    RocksDbStateStore store = RocksDbStateStore.open(dir.resolve(name), Hashes.sha256(Hashes.utf8("storage/" + name)));
    stores.add(store);
    return over(store);
  }

  /** {@code replica} after a restart: the same store, nothing remembered in memory (caches, keyring). */
  Replica restarted(Replica replica) throws Exception {
    return over(replica.store());
  }

  private Replica over(dev.veilraft.state.StateStore store) throws Exception {
    return new Replica(store, clusterId, founder.id(), founder.kem(), verifier, new EpochKeyring(), apps);
  }

  void closeStores() {
    stores.forEach(RocksDbStateStore::close);
    stores.clear();
  }
}
