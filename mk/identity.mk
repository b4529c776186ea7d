# mk/identity.mk - User Identity Negotiation: dcmrecv --users checks
# passcodes against crypt(3) hashes and --hash-password makes them, with
# libcrypt (libxcrypt: yescrypt, SHA-512), in lib/cli/users.c only.
IDENTITY_LIBS = -lcrypt
