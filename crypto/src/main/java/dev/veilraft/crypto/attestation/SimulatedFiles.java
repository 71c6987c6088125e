package dev.veilraft.crypto.attestation;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * File helpers of the simulated TEE. Writes are atomic (temporary file, then rename) so a crash
 * never leaves half a key or certificate behind. The key files are plain PKCS#8 on the host's
 * disk: that is what makes the simulated TEE INSECURE.
 */
final class SimulatedFiles {
  private SimulatedFiles() {}

  static void writeAtomically(Path file, byte[] content, boolean ownerOnly) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.write(tmp, content);
    if (ownerOnly) {
      try {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException ignored) {
        // Not a POSIX file system; nothing to tighten, and the key is insecure anyway.
      }
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  static byte[] read(Path file, String what) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("simulated TEE state is incomplete: " + what + " " + file + " is missing");
    }
    return Files.readAllBytes(file);
  }
}
