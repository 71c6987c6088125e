package dev.veilraft.crypto.seal;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.KemKeyPair;
import dev.veilraft.crypto.NodeIdentity;
import dev.veilraft.crypto.proto.NodeSecrets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Instant;

/**
 * A node's long-lived keys: identity (TLS and signing), KEM (receives wrapped epoch secrets) and
 * the storage secret (derives the state store keys). Generated inside the TEE at first start and
 * sealed to it; the sealed file is useless to the host.
 */
public final class NodeKeys {
  public static final String FILE_NAME = "keys.sealed";
  private static final byte[] SEAL_LABEL = Hashes.utf8("veilraft/node-keys/v1");

  private final NodeIdentity identity;
  private final KemKeyPair kem;
  private final byte[] storageSecret;

  private NodeKeys(NodeIdentity identity, KemKeyPair kem, byte[] storageSecret) {
    this.identity = identity;
    this.kem = kem;
    this.storageSecret = storageSecret;
  }

  public static NodeKeys generate(Instant now) {
    byte[] storage = new byte[32];
    new SecureRandom().nextBytes(storage);
    return new NodeKeys(NodeIdentity.generate(now), KemKeyPair.generate(), storage);
  }

  /** Loads the sealed keys from {@code dataDir}, or generates and seals new ones. */
  public static NodeKeys loadOrCreate(Path dataDir, Sealer sealer, Instant now) throws IOException, CryptoException {
    Path file = dataDir.resolve(FILE_NAME);
    if (Files.exists(file)) {
      return unseal(Files.readAllBytes(file), sealer, file);
    }
    NodeKeys keys = generate(now);
    Files.createDirectories(dataDir);
    Path tmp = dataDir.resolve(FILE_NAME + ".tmp");
    Files.write(tmp, keys.seal(sealer));
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    return keys;
  }

  private static NodeKeys unseal(byte[] sealed, Sealer sealer, Path file) throws CryptoException {
    byte[] plain;
    try {
      plain = sealer.unseal(sealed, SEAL_LABEL);
    } catch (CryptoException e) {
      throw new CryptoException(file + ": sealed keys do not open on this platform (" + e.getMessage() + ")", e);
    }
    try {
      NodeSecrets secrets = NodeSecrets.parseFrom(plain);
      NodeIdentity identity = NodeIdentity.fromEncoded(secrets.getIdentityPrivateKey().toByteArray(),
          secrets.getIdentityCert().toByteArray());
      KemKeyPair kem = KemKeyPair.fromBytes(secrets.getKemPrivateKey().toByteArray(),
          secrets.getKemPublicKey().toByteArray());
      byte[] storage = secrets.getStorageSecret().toByteArray();
      if (storage.length != 32) {
        throw new CryptoException(file + ": storage secret must be 32 bytes, got " + storage.length);
      }
      return new NodeKeys(identity, kem, storage);
    } catch (InvalidProtocolBufferException e) {
      throw new CryptoException(file + ": sealed keys are not a NodeSecrets message", e);
    }
  }

  private byte[] seal(Sealer sealer) {
    NodeSecrets secrets = NodeSecrets.newBuilder()
        .setIdentityPrivateKey(ByteString.copyFrom(identity.privateKey().getEncoded()))
        .setIdentityCert(ByteString.copyFrom(identity.certificateDer()))
        .setKemPrivateKey(ByteString.copyFrom(kem.privateKeyBytes()))
        .setKemPublicKey(ByteString.copyFrom(kem.publicKey()))
        .setStorageSecret(ByteString.copyFrom(storageSecret))
        .build();
    return sealer.seal(secrets.toByteArray(), SEAL_LABEL);
  }

  public NodeIdentity identity() {
    return identity;
  }

  public KemKeyPair kem() {
    return kem;
  }

  public String nodeId() {
    return identity.nodeId();
  }

  /** The storage secret, only for opening the node's own state store. */
  public byte[] storageSecret() {
    return storageSecret.clone();
  }
}
