/*
 * listen_fds.h - sockets inherited through systemd socket activation.
 */
#ifndef CS_CLI_LISTEN_FDS_H
#define CS_CLI_LISTEN_FDS_H

/* Number of sockets passed from fd 3 on (LISTEN_FDS, when LISTEN_PID is
 * this process), 0 if none; the variables are removed either way once
 * they were meant for us. */
int cli_listen_fds(void);

/* The one socket systemd passed (fd 3), or 0 when none was; more than
 * one is a usage error (prints and exits). */
int cli_systemd_socket(void);

#endif
