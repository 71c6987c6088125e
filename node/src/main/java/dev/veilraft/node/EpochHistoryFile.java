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
 * resumes the join instead of starting it again. Secrets of epochs that snapshots cover are
 * erased from it as from the keyring ({@link #retentionListener}).
 */
public final class EpochHistoryFile {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EpochHistoryFile.class);
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

  /**
   * Erases the secrets of epochs before {@code epoch} from the file (rewritten through a
   * temporary file and an atomic rename; the member ids and the file itself stay, since its
   * presence records the admission). Does nothing when the file is absent or holds no older
   * secret. The old file's blocks are released, not overwritten: the sealed bytes may remain on
   * the disk until reused, still encrypted under this node's sealing key.
   *
   * @return how many secrets were erased
   */
  public int retainFrom(long epoch) throws IOException, CryptoException {
    java.util.Optional<EpochHistory> stored = load();
    if (stored.isEmpty()) {
      return 0;
    }
    EpochHistory history = stored.get();
    List<EpochSecretEntry> kept = history.getSecretsList().stream().filter(s -> s.getEpoch() >= epoch).toList();
    int erased = history.getSecretsCount() - kept.size();
    if (erased > 0) {
      save(history.toBuilder().clearSecrets().addAllSecrets(kept).build());
    }
    return erased;
  }

  /**
   * A listener for {@link dev.veilraft.membership.EpochKeyring#addRetentionListener}: keeps this
   * file's secrets in step with the keyring's erasure. A failure is logged and the next erasure
   * (after the next snapshot) tries again.
   */
  public java.util.function.LongConsumer retentionListener() {
    return epoch -> {
      try {
        int erased = retainFrom(epoch);
        if (erased > 0) {
          LOG.info("erased {} epoch secrets before epoch {} from {}", erased, epoch, file.getFileName());
        }
      } catch (IOException | CryptoException e) {
        LOG.warn("cannot erase epoch secrets before epoch {} from {}: {}", epoch, file, e.getMessage());
      }
    };
  }

  public static List<EpochSecret> toSecrets(EpochHistory history) {
    List<EpochSecret> secrets = new ArrayList<>();
    for (EpochSecretEntry entry : history.getSecretsList()) {
      secrets.add(EpochSecret.restore(entry.getEpoch(), entry.getSecret().toByteArray()));
    }
    return secrets;
  }
}
