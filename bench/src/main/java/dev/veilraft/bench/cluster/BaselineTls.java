package dev.veilraft.bench.cluster;

import dev.veilraft.consensus.ratis.PlaintextBaseline;
import dev.veilraft.crypto.NodeIdentity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Peer mutual TLS for the plaintext baseline, as close to a veilraft node's as a cluster without
 * attestation gets: each process makes a fresh identity key and announces its node id as an empty
 * file in a shared directory; a peer is trusted when its id is listed there (read at every
 * handshake, as a node reads its admitted members).
 */
final class BaselineTls {
  private BaselineTls() {}

  static PlaintextBaseline.Tls create(Path dir) throws IOException {
    NodeIdentity identity = NodeIdentity.generate(Instant.now().minus(1, ChronoUnit.DAYS));
    Files.createDirectories(dir);
    Files.write(dir.resolve(identity.nodeId()), new byte[0]);
    return new PlaintextBaseline.Tls(identity, () -> listed(dir));
  }

  private static Set<String> listed(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).collect(Collectors.toUnmodifiableSet());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
