package dev.veilraft.node;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.seal.Sealer;
import dev.veilraft.membership.proto.EpochHistory;
import dev.veilraft.membership.proto.EpochSecretEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The epoch secrets a joiner received from the member that admitted it, and the members it was
 * told to trust, sealed to this node (AAD = node id). The secrets let it decrypt the log it
 * replays from before its admission; the file's presence means it was admitted, so a restart
 * resumes the join instead of starting it again.
 */
public final class EpochHistoryFile {
  static final String FILE_NAME = "epoch-history.sealed";
  private final Path file;
  private final Sealer sealer;
  private final byte[] aad;

  EpochHistoryFile(Path dataDir, Sealer sealer, String nodeId) {
    this.file = dataDir.resolve(FILE_NAME);
    this.sealer = sealer;
    this.aad = Hashes.concat(Hashes.utf8("veilraft/epoch-history/v1/"), Hashes.utf8(nodeId));
  }

  /** The stored history, if this node was admitted; its secrets are checked here, not only at replay. */
  public java.util.Optional<EpochHistory> load() throws IOException, CryptoException {
    if (!Files.exists(file)) {
      return java.util.Optional.empty();
    }
    try {
      EpochHistory history = EpochHistory.parseFrom(sealer.unseal(Files.readAllBytes(file), aad));
      toSecrets(history);
      return java.util.Optional.of(history);
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      throw new CryptoException(file + ": epoch history does not parse: " + e.getMessage(), e);
    }
  }

  public void save(EpochHistory history) throws IOException {
    Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
    Files.write(tmp, sealer.seal(history.toByteArray(), aad));
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  public static List<EpochSecret> toSecrets(EpochHistory history) {
    List<EpochSecret> secrets = new ArrayList<>();
    for (EpochSecretEntry entry : history.getSecretsList()) {
      secrets.add(EpochSecret.restore(entry.getEpoch(), entry.getSecret().toByteArray()));
    }
    return secrets;
  }
}
