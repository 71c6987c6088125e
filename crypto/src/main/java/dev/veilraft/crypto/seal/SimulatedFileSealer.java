package dev.veilraft.crypto.seal;

import dev.veilraft.crypto.AesGcmAead;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

/**
 * INSECURE simulated sealing for the simulated TEE: the sealing key is a plain file the host can
 * read. It keeps the sealing code path honest in development; it protects nothing.
 */
public final class SimulatedFileSealer extends AeadSealer {
  private SimulatedFileSealer(byte[] key) {
    super(AesGcmAead.fromKey(key));
  }

  /** Opens the key file, creating it with a fresh random key when absent. */
  public static SimulatedFileSealer openOrCreate(Path keyFile) throws IOException {
    if (!Files.exists(keyFile)) {
      byte[] key = new byte[AesGcmAead.KEY_BYTES];
      new SecureRandom().nextBytes(key);
      Files.createDirectories(keyFile.toAbsolutePath().getParent());
      Path tmp = keyFile.resolveSibling(keyFile.getFileName() + ".tmp");
      Files.write(tmp, key);
      try {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException ignored) {
        // Not a POSIX file system; the simulated sealer is insecure anyway.
      }
      Files.move(tmp, keyFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
    byte[] key = Files.readAllBytes(keyFile);
    if (key.length != AesGcmAead.KEY_BYTES) {
      throw new IOException("simulated sealing key file " + keyFile + ": expected " + AesGcmAead.KEY_BYTES
          + " bytes, got " + key.length);
    }
    return new SimulatedFileSealer(key);
  }

  @Override
  public String describe() {
    return "simulated (key file on the host, INSECURE)";
  }
}
