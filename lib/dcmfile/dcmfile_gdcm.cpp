/*
 * dcmfile_gdcm.cpp - the GDCM adapter: the only C++ in cstore.  Each
 * extern "C" function catches everything: no exception crosses into C
 * (STYLE.md 3.7).  Sections belong to different developers.
 *
 * Built into the module cstore-gdcm.so (not into libcstore.a), which
 * dcmfile_load.c dlopens on first use; the module exports only the
 * entry points of gdcm_module.h.
 */
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <streambuf>
#include <string>

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gdcmFileExplicitFilter.h>
#include <gdcmImageChangeTransferSyntax.h>
#include <gdcmJPEG2000Codec.h>
#include <gdcmJPEGCodec.h>
#include <gdcmJPEGLSCodec.h>
#include <gdcmPixmapReader.h>
#include <gdcmPixmapWriter.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfFragments.h>
#include <gdcmTrace.h>
#include <gdcmTransferSyntax.h>
#include <gdcmUIDs.h>
#include <gdcmWriter.h>

#include "dcmfile/dcmfile.h"
#include "dcmfile/gdcm_module.h"
#include "dcmfile/part10.h"
#include "core/ts.h"

/* ---- messages of GDCM and its libraries (shared by the sections) --- */

namespace {

/*
 * GDCM's Trace streams are process-wide; what GDCM (and through it
 * libjpeg and OpenJPEG) reports is appended to a buffer of the thread
 * that called the codec, so that -j lanes keep their messages apart and
 * nothing reaches fd 2.
 */
thread_local std::string codec_msgs;

class msg_streambuf : public std::streambuf {
      protected:
	int_type
	overflow(int_type c) override
	{
		if (!traits_type::eq_int_type(c, traits_type::eof()) &&
		    codec_msgs.size() < (1u << 16))
			codec_msgs.push_back(traits_type::to_char_type(c));
		return traits_type::not_eof(c);
	}
	std::streamsize
	xsputn(const char *p, std::streamsize n) override
	{
		if (codec_msgs.size() < (1u << 16))
			codec_msgs.append(p, static_cast<size_t>(n));
		return n;
	}
};

msg_streambuf msg_buf;
std::ostream msg_stream(&msg_buf);

/*
 * GDCM writes its messages to one process-wide stream, and operator<<
 * changes the stream's state (width) on every write: two lanes calling
 * GDCM at once would race on it.  So by default GDCM's trace is off
 * (its macros then only read the flags: nothing is written, nothing is
 * shared) and the codecs run unlocked, one per lane.  Only when the user
 * asked for GDCM's messages (cstore_gdcm_trace) do the calls that can
 * write (transcode, decode, encode) take this lock.
 */
std::mutex trace_lock;
std::atomic<bool> trace_on(false);
std::once_flag trace_once;

void
set_trace(bool on)
{
	std::lock_guard<std::mutex> hold(trace_lock);

	gdcm::Trace::SetStream(msg_stream);
	gdcm::Trace::DebugOff();
	gdcm::Trace::SetWarning(on);
	gdcm::Trace::SetError(on);
	trace_on.store(on, std::memory_order_release);
}

/* Held around a GDCM call: the lock when the trace is on, else nothing. */
class trace_guard {
      public:
	trace_guard()
	{
		std::call_once(trace_once, [] {
			/* GDCM's default is on, to stderr */
			if (!trace_on.load(std::memory_order_acquire))
				set_trace(false);
		});
		if (trace_on.load(std::memory_order_acquire))
			hold_ = std::unique_lock<std::mutex>(trace_lock);
	}

      private:
	std::unique_lock<std::mutex> hold_;
};

/*
 * Runs f under a trace_guard and lets no exception out: each becomes an
 * error "cannot <what>: <why>" in err.
 */
template <typename F>
int
guarded(struct cs_err *err, const char *what, F f)
{
	try {
		trace_guard hold;

		return f();
	} catch (const std::bad_alloc &) {
		return cs_err_set(
		    err, CS_E_NOMEM, "cannot %s: out of memory", what);
	} catch (const std::exception &e) {
		return cs_err_set(
		    err, CS_E_UNSUPPORTED, "cannot %s: %s", what, e.what());
	} catch (...) {
		return cs_err_set(
		    err, CS_E_UNSUPPORTED, "cannot %s: GDCM failed", what);
	}
}

} // namespace

/*
 * ---- what libjpeg and OpenJPEG print themselves ----------------------
 * GDCM leaves its bundled libjpegs' default output_message (fprintf to
 * stderr) and OpenJPEG's default handlers (fputs to stderr) in place:
 * their messages reached our stderr bare, whatever -v said.  This module
 * is the first object of its own dlopen scope, so the definitions below
 * take the calls GDCM's libraries make to these functions; each calls
 * the library's own (dlsym RTLD_NEXT) and routes the messages to
 * codec_msgs, as GDCM's trace is: kept only when it is on.
 * Two limits.  The global scope is searched before this one: when
 * libopenjp2 (or a libjpeg with these names) is already there (an
 * application linked with it, LD_PRELOAD), GDCM's calls bind to it, not
 * here, and its messages reach stderr bare as before.  And codec_msgs
 * is per thread: what OpenJPEG reports from its worker threads (a
 * multi-threaded decode) lands in that thread's buffer, which the
 * caller never reads, so it is lost even under -v.
 */

namespace {

/* Appends "lib: msg" as one line to this thread's messages. */
void
lib_message(const char *lib, const char *msg)
{
	if (!trace_on.load(std::memory_order_acquire) || msg == nullptr)
		return;
	size_t n = std::strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		n--;
	if (codec_msgs.size() + n + 16 > (1u << 16))
		return;
	codec_msgs.append(lib).append(": ").append(msg, n).push_back('\n');
}

/* The function the next object of the lookup order defines as name (the
 * library's own); nullptr only if the library is not loaded, which the
 * callers, called from that library's users, never meet. */
void *
next_fn(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

/* The head of IJG libjpeg's struct jpeg_error_mgr (jpeglib.h, 6b, as
 * GDCM bundles it three times): its method pointers, in this order. */
struct ijg_err {
	void (*error_exit)(void *cinfo);
	void (*emit_message)(void *cinfo, int level);
	void (*output_message)(void *cinfo);
	void (*format_message)(void *cinfo, char *buf);
	void (*reset_error_mgr)(void *cinfo);
};

/* output_message: cinfo starts with its struct jpeg_error_mgr *; the
 * text is at most JMSG_LENGTH_MAX (200) bytes. */
void
ijg_output(void *cinfo)
{
	ijg_err *e = *static_cast<ijg_err **>(cinfo);
	char buf[256];

	buf[0] = '\0';
	e->format_message(cinfo, buf);
	buf[sizeof(buf) - 1] = '\0';
	lib_message("libjpeg", buf);
}

/*
 * libjpeg's warnings.  GDCM's JPEG decoder asserts (abort(): Debian
 * builds it with assertions) on any warning met while the header is
 * read, but "must downscale", which it uses to pick the bit depth; and
 * it accepts a stream whose decode met one warning, such as a premature
 * end of its data, which libjpeg fills with zeros: pixels changed, the
 * decode reported good.  So a warning in the header becomes the error it
 * is (error_exit: GDCM's own, which longjmps back into its decoder, set
 * up for this phase), and one that says the data is damaged is noted
 * here, for decode() to refuse the frame.
 */
using ijg_emit_fn = void (*)(void *cinfo, int level);
using ijg_exit_fn = void (*)(void *cinfo);

/* the first damage libjpeg reported in this thread's current decode */
thread_local std::string jpeg_damage;

/* IJG 6b jpegint.h: a decompressor reading its header (jpeg_read_header) */
constexpr int IJG_DSTATE_INHEADER = 201;

/* jpeg_common_fields: err, mem, progress, client_data (pointers), then
 * boolean is_decompressor and int global_state (IJG 6b jpeglib.h). */
int
ijg_global_state(void *cinfo)
{
	int state;

	std::memcpy(&state,
	    static_cast<char *>(cinfo) + 4 * sizeof(void *) + sizeof(int),
	    sizeof(state));
	return state;
}

bool
starts_with(const char *s, const char *prefix)
{
	return std::strncmp(s, prefix, std::strlen(prefix)) == 0;
}

/* The three bundled libjpegs (8, 12, 16 bits): each one's own methods. */
std::atomic<ijg_emit_fn> ijg_std_emit[3];
std::atomic<ijg_exit_fn> ijg_std_exit[3];

template <int lib>
void
ijg_emit(void *cinfo, int level)
{
	ijg_err *e = *static_cast<ijg_err **>(cinfo);
	ijg_emit_fn orig = ijg_std_emit[lib].load(std::memory_order_relaxed);

	if (level < 0) {
		char buf[256];

		buf[0] = '\0';
		e->format_message(cinfo, buf);
		buf[sizeof(buf) - 1] = '\0';
		if (!starts_with(buf, "Must downscale") &&
		    ijg_global_state(cinfo) == IJG_DSTATE_INHEADER &&
		    e->error_exit !=
			ijg_std_exit[lib].load(std::memory_order_relaxed)) {
			if (jpeg_damage.empty())
				jpeg_damage = buf;
			e->error_exit(cinfo); /* GDCM's: does not return */
		}
		if (jpeg_damage.empty() &&
		    (starts_with(buf, "Corrupt JPEG data") ||
			starts_with(buf, "Premature end of JPEG file") ||
			starts_with(buf, "Inconsistent progression")))
			jpeg_damage = buf;
	}
	if (orig != nullptr)
		orig(cinfo, level);
}

/* jpeg_std_error of the libjpeg whose symbols carry prefix name. */
template <int lib>
void *
ijg_std_error(const char *name, void *err)
{
	auto real = reinterpret_cast<void *(*)(void *)>(next_fn(name));

	if (real == nullptr)
		return nullptr;
	void *r = real(err);
	ijg_err *e = static_cast<ijg_err *>(err);
	ijg_std_emit[lib].store(e->emit_message, std::memory_order_relaxed);
	ijg_std_exit[lib].store(e->error_exit, std::memory_order_relaxed);
	e->output_message = ijg_output;
	e->emit_message = ijg_emit<lib>;
	return r;
}

void
opj_error(const char *msg, void *)
{
	lib_message("openjpeg", msg);
}

void
opj_warning(const char *msg, void *)
{
	lib_message("openjpeg", msg);
}

/* OpenJPEG's info messages (progress) are not worth a note. */
void
opj_info(const char *, void *)
{
}

using opj_cb = void (*)(const char *, void *);
using opj_set_fn = int (*)(void *, opj_cb, void *);

/* Sets one handler of codec through OpenJPEG's own setter. */
int
opj_route(const char *setter, void *codec, opj_cb cb)
{
	auto set = reinterpret_cast<opj_set_fn>(next_fn(setter));

	return set != nullptr && codec != nullptr ? set(codec, cb, nullptr)
						  : 0;
}

/* A codec OpenJPEG made: its three handlers ours. */
void *
opj_routed(void *codec)
{
	opj_route("opj_set_error_handler", codec, opj_error);
	opj_route("opj_set_warning_handler", codec, opj_warning);
	opj_route("opj_set_info_handler", codec, opj_info);
	return codec;
}

} // namespace

extern "C" CS_GDCM_ENTRY void *
gdcmjpeg8_jpeg_std_error(void *err)
{
	return ijg_std_error<0>("gdcmjpeg8_jpeg_std_error", err);
}

extern "C" CS_GDCM_ENTRY void *
gdcmjpeg12_jpeg_std_error(void *err)
{
	return ijg_std_error<1>("gdcmjpeg12_jpeg_std_error", err);
}

extern "C" CS_GDCM_ENTRY void *
gdcmjpeg16_jpeg_std_error(void *err)
{
	return ijg_std_error<2>("gdcmjpeg16_jpeg_std_error", err);
}

/* OPJ_CODEC_FORMAT is an enum (an int); opj_codec_t * an opaque pointer */
extern "C" CS_GDCM_ENTRY void *
opj_create_decompress(int format)
{
	auto real = reinterpret_cast<void *(*)(int)>(
	    next_fn("opj_create_decompress"));

	return real != nullptr ? opj_routed(real(format)) : nullptr;
}

extern "C" CS_GDCM_ENTRY void *
opj_create_compress(int format)
{
	auto real =
	    reinterpret_cast<void *(*)(int)>(next_fn("opj_create_compress"));

	return real != nullptr ? opj_routed(real(format)) : nullptr;
}

/* GDCM setting a handler of its own (that prints): ours instead. */
extern "C" CS_GDCM_ENTRY int
opj_set_error_handler(void *codec, opj_cb, void *)
{
	return opj_route("opj_set_error_handler", codec, opj_error);
}

/* ---- transcoding (section owner: file I/O and transcoding) ---------- */

namespace {

/* A write-only streambuf over a file descriptor, remembering errno. */
class fd_streambuf : public std::streambuf {
      public:
	explicit fd_streambuf(int fd) : fd_(fd), errno_(0)
	{
		setp(buf_, buf_ + sizeof(buf_));
	}
	int
	error() const
	{
		return errno_;
	}

      protected:
	int_type
	overflow(int_type c) override
	{
		if (flush_buf() != 0)
			return traits_type::eof();
		if (!traits_type::eq_int_type(c, traits_type::eof())) {
			*pptr() = traits_type::to_char_type(c);
			pbump(1);
		}
		return traits_type::not_eof(c);
	}
	int
	sync() override
	{
		return flush_buf();
	}
	pos_type
	seekoff(off_type off, std::ios_base::seekdir dir,
	    std::ios_base::openmode) override
	{
		int whence = dir == std::ios_base::beg ? SEEK_SET
		    : dir == std::ios_base::cur        ? SEEK_CUR
						       : SEEK_END;
		if (flush_buf() != 0)
			return pos_type(off_type(-1));
		off_t r = lseek(fd_, off, whence);
		return r < 0 ? pos_type(off_type(-1)) : pos_type(off_type(r));
	}
	pos_type
	seekpos(pos_type pos, std::ios_base::openmode m) override
	{
		return seekoff(off_type(pos), std::ios_base::beg, m);
	}

      private:
	int
	flush_buf()
	{
		const char *p = pbase();
		size_t n = static_cast<size_t>(pptr() - pbase());

		while (n > 0) {
			ssize_t w = write(fd_, p, n);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				if (errno_ == 0)
					errno_ = w < 0 ? errno : EIO;
				return -1;
			}
			p += w;
			n -= static_cast<size_t>(w);
		}
		setp(buf_, buf_ + sizeof(buf_));
		return 0;
	}
	int fd_;
	int errno_;
	char buf_[1 << 16];
};

/* An unlinked read-write temporary file in $TMPDIR or /tmp. */
int
make_tmpfile(struct cs_err *err)
{
	const char *dir = std::getenv("TMPDIR");
	int fd;

	if (dir == nullptr || dir[0] == '\0')
		dir = "/tmp";
#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
#endif
	std::string name = std::string(dir) + "/cstore-transcode-XXXXXX";
	fd = mkostemp(&name[0], O_CLOEXEC);
	if (fd < 0)
		return cs_err_set(err, CS_E_IO,
		    "cannot create a temporary file in '%s': %s", dir,
		    std::strerror(errno));
	unlink(name.c_str());
	return fd;
}

/* GDCM keeps "dataset only" protected; these make it reachable. */
class dataset_writer : public gdcm::Writer {
      public:
	using gdcm::Writer::SetWriteDataSetOnly;
};
class dataset_pixmap_writer : public gdcm::PixmapWriter {
      public:
	using gdcm::Writer::SetWriteDataSetOnly;
};

/* The codec settings for a lossy target (allow_lossy only). */
struct lossy_codecs {
	gdcm::JPEGCodec jpeg;
	gdcm::JPEGLSCodec jpegls;
	gdcm::JPEG2000Codec j2k;
};

void
set_lossy_codec(gdcm::ImageChangeTransferSyntax &change, lossy_codecs &c,
    gdcm::TransferSyntax::TSType ts)
{
	switch (ts) {
	case gdcm::TransferSyntax::JPEGBaselineProcess1:
	case gdcm::TransferSyntax::JPEGExtendedProcess2_4:
		c.jpeg.SetLossless(false);
		change.SetUserCodec(&c.jpeg);
		break;
	case gdcm::TransferSyntax::JPEGLSNearLossless:
		c.jpegls.SetLossless(false);
		c.jpegls.SetLossyError(2); /* NEAR 2, as DCMTK's dcmcjpls +en */
		change.SetUserCodec(&c.jpegls);
		break;
	case gdcm::TransferSyntax::JPEG2000:
		c.j2k.SetReversible(false);
		change.SetUserCodec(&c.j2k);
		break;
	default:
		break;
	}
}

/*
 * Writes the dataset of path in ts to os.  Pixel data that is or
 * becomes encapsulated, or changes byte order, goes through GDCM's
 * ImageChangeTransferSyntax; the rest through the plain Writer.
 */
int
write_transcoded(const char *path, const part10_info &src,
    const ts_entry &target, std::ostream &os, struct cs_err *err)
{
	gdcm::TransferSyntax to(gdcm::TransferSyntax::GetTSType(target.uid));
	gdcm::TransferSyntax from(gdcm::TransferSyntax::GetTSType(src.ts_uid));
	gdcm::Reader reader;

	reader.SetFileName(path);
	if (!reader.Read())
		return cs_err_set(
		    err, CS_E_NOTDICOM, "GDCM cannot read '%s'", path);
	bool pixels = reader.GetFile().GetDataSet().FindDataElement(
	    gdcm::Tag(0x7fe0, 0x0010));
	bool swap = from.GetSwapCode() != to.GetSwapCode();

	if (pixels && (from.IsEncapsulated() || to.IsEncapsulated() || swap)) {
		gdcm::PixmapReader pr;
		gdcm::ImageChangeTransferSyntax change;
		lossy_codecs codecs;

		pr.SetFileName(path);
		if (!pr.Read())
			return cs_err_set(err, CS_E_UNSUPPORTED,
			    "GDCM cannot read the pixel data of '%s'", path);
		change.SetTransferSyntax(to);
		if (target.flags & TS_F_LOSSY)
			set_lossy_codec(change, codecs, to);
		change.SetInput(pr.GetPixmap());
		if (!change.Change())
			return cs_err_set(err, CS_E_UNSUPPORTED,
			    "GDCM cannot code the pixel data of '%s' in %s",
			    path, target.uid);
		dataset_pixmap_writer w;
		w.SetFile(pr.GetFile());
		w.SetPixmap(change.PixmapToPixmapFilter::GetOutput());
		w.SetStream(os);
		w.SetWriteDataSetOnly(true);
		if (!w.Write())
			return cs_err_set(err, CS_E_IO,
			    "GDCM cannot write '%s' in %s", path, target.uid);
		return 0;
	}

	gdcm::File &file = reader.GetFile();
	gdcm::FileMetaInformation &fmi = file.GetHeader();
	std::string uid(target.uid);
	if (uid.size() % 2 == 1)
		uid.push_back('\0'); /* PS3.5 6.2: UI padded with NUL */
	gdcm::DataElement de(gdcm::Tag(0x0002, 0x0010));
	de.SetVR(gdcm::VR::UI);
	de.SetByteValue(uid.data(), static_cast<uint32_t>(uid.size()));
	fmi.Replace(de);
	fmi.SetDataSetTransferSyntax(to);
	if (to.IsExplicit() && !from.IsExplicit()) {
		/* Implicit VR carries no VR: take it from the dictionary */
		gdcm::FileExplicitFilter fef;
		fef.SetFile(file);
		if (!fef.Change())
			return cs_err_set(err, CS_E_UNSUPPORTED,
			    "GDCM cannot make the VRs of '%s' explicit", path);
	}
	dataset_writer w;
	w.SetFile(file);
	w.CheckFileMetaInformationOff();
	w.SetStream(os);
	w.SetWriteDataSetOnly(true);
	if (!w.Write())
		return cs_err_set(err, CS_E_IO, "GDCM cannot write '%s' in %s",
		    path, target.uid);
	return 0;
}

/* The probe's idea of an encoding, to check what GDCM wrote. */
const char *
plain_encoding(const ts_entry &t)
{
	if (t.flags & TS_F_DEFLATED)
		return nullptr; /* a bare deflated stream cannot be sniffed */
	switch (t.enc) {
	case DS_ENC_IVR_LE:
		return TS_UID_ImplicitVRLittleEndian;
	case DS_ENC_EVR_BE:
		return TS_UID_ExplicitVRBigEndian;
	case DS_ENC_EVR_LE:
		break;
	}
	return TS_UID_ExplicitVRLittleEndian; /* PS3.5 A.4: encapsulated too */
}

int
transcode(const char *path, const char *ts_uid, int allow_lossy,
    struct dcmfile_transcoded *out, struct cs_err *err)
{
	struct part10_info src, got;
	const ts_entry *target = ts_find(ts_uid);
	int rc;

	if ((rc = part10_probe_path(path, 0, &src, err)) < 0)
		return rc;
	if (target == nullptr || target->codec == TS_CODEC_NONE)
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "cannot transcode to '%s': unknown transfer syntax",
		    ts_uid);
	if (!dcmfile_can_transcode(src.ts_uid, ts_uid, allow_lossy))
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "cannot transcode '%s' from %s to %s%s", path, src.ts_uid,
		    ts_uid,
		    (target->flags & TS_F_LOSSY) && !allow_lossy
			? ": lossy compression not allowed"
			: "");

	int fd = make_tmpfile(err);
	if (fd < 0)
		return fd;
	{
		fd_streambuf sb(fd);
		std::ostream os(&sb);

		rc = write_transcoded(path, src, *target, os, err);
		os.flush();
		if (rc == 0 && (sb.error() != 0 || !os)) {
			int e = sb.error() != 0 ? sb.error() : EIO;
			rc = cs_err_set(err,
			    e == ENOSPC ? CS_E_NOSPACE : CS_E_IO,
			    "cannot write the transcoded dataset: %s",
			    std::strerror(e));
		}
	}
	off_t len = rc == 0 ? lseek(fd, 0, SEEK_END) : -1;
	if (rc == 0 && (len < 0 || lseek(fd, 0, SEEK_SET) != 0))
		rc = cs_err_set(err, CS_E_IO,
		    "cannot seek the transcoded dataset: %s",
		    std::strerror(errno));
	/* check GDCM's output with our own prober: same UIDs, right encoding */
	const char *enc = plain_encoding(*target);
	if (rc == 0 && enc != nullptr) {
		struct cs_err perr = { 0, "" };

		if (part10_probe_fd(fd, 0, &got, &perr) < 0)
			rc = cs_err_set(err, CS_E_UNSUPPORTED,
			    "GDCM wrote an unreadable dataset for '%s': %s",
			    path, perr.msg);
		else if (got.kind != PART10_BARE ||
		    std::strcmp(got.ts_uid, enc) != 0)
			rc = cs_err_set(err, CS_E_UNSUPPORTED,
			    "GDCM wrote '%s' as %s instead of %s", path,
			    got.ts_uid, enc);
		else if (std::strcmp(got.sop_instance, src.sop_instance) != 0 ||
		    std::strcmp(got.sop_class, src.sop_class) != 0)
			rc = cs_err_set(err, CS_E_UNSUPPORTED,
			    "GDCM changed the SOP UIDs of '%s'", path);
	}
	if (rc < 0) {
		close(fd);
		return rc;
	}
	out->fd = fd;
	out->length = static_cast<uint64_t>(len);
	std::memcpy(out->ts_uid, target->uid, std::strlen(target->uid) + 1);
	out->lossy = (target->flags & TS_F_LOSSY) &&
	    std::strcmp(src.ts_uid, target->uid) != 0;
	return 0;
}

} // namespace

extern "C" CS_GDCM_ENTRY int
cstore_gdcm_transcode(const char *path, const char *ts_uid, int allow_lossy,
    struct dcmfile_transcoded *out, struct cs_err *err)
{
	/* as long as the message can be: it ends up cut there anyway */
	char what[CS_ERR_MSG_MAX];

	std::snprintf(what, sizeof(what), "transcode '%s'", path);
	return guarded(err, what,
	    [&] { return transcode(path, ts_uid, allow_lossy, out, err); });
}

/* ---- end of transcoding section ------------------------------------- */

/* ---- pixel codecs (section owner: transcoder, lib/dcmfile/xcode.c) --- */

namespace {

/* The entry of a syntax whose pixels GDCM codes, or nullptr. */
const ts_entry *
find_codec(const char *uid)
{
	const ts_entry *t = ts_find(uid);

	return ts_is_gdcm(t) ? t : nullptr;
}

/*
 * JPEGCodec picks libjpeg's 8, 12 or 16-bit build from Bits Allocated
 * and, when that build refuses the stream, tries the next one; the
 * refusal goes straight to stderr ("Unsupported JPEG data precision
 * 12").  This one is told the stream's precision first.
 */
class jpeg_codec : public gdcm::JPEGCodec {
      public:
	void
	precision(int p)
	{
		SetBitSample(p <= 8 ? 8 : p <= 12 ? 12 : 16);
	}
};

/* The sample precision of a JPEG stream's SOF segment (ISO 10918-1
 * B.2.2), or 0 when there is none before the scan. */
int
jpeg_precision(const uint8_t *p, size_t n)
{
	size_t i = 2;

	if (n < 4 || p[0] != 0xff || p[1] != 0xd8)
		return 0;
	while (i + 4 < n) {
		if (p[i] != 0xff)
			return 0;
		uint8_t m = p[i + 1];
		if (m == 0xff) {
			i++;
			continue;
		}
		size_t len = static_cast<size_t>(p[i + 2]) << 8 | p[i + 3];
		if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 &&
		    m != 0xcc)
			return i + 4 < n ? p[i + 4] : 0;
		if (m == 0xda || len < 2)
			return 0;
		i += 2 + len;
	}
	return 0;
}

/* The codec of one kind, made on demand: constructing all three (the
 * JPEG 2000 one sets up OpenJPEG's parameters) costs per frame. */
struct codecs {
	std::unique_ptr<jpeg_codec> jpeg;
	std::unique_ptr<gdcm::JPEGLSCodec> jpegls;
	std::unique_ptr<gdcm::JPEG2000Codec> j2k;

	/* threads: dcmfile_codec_threads (0: GDCM's default, which gives
	 * OpenJPEG a pool of one thread per processor of the machine for
	 * every frame, beside the caller's own converting threads) */
	gdcm::ImageCodec &
	pick(ts_codec k, unsigned threads = 0)
	{
		if (k == TS_CODEC_JPEG) {
			jpeg.reset(new jpeg_codec);
			return *jpeg;
		}
		if (k == TS_CODEC_JPEGLS) {
			jpegls.reset(new gdcm::JPEGLSCodec);
			return *jpegls;
		}
		j2k.reset(new gdcm::JPEG2000Codec);
		/* 0, not 1: OpenJPEG makes a pool of n threads for n > 0
		 * (one would decode while the caller waits), none for 0 */
		if (threads > 0)
			j2k->SetNumberOfThreadsForDecompression(threads == 1 ? 0
			    : threads > 64 ? 64 : static_cast<int>(threads));
		return *j2k;
	}
};

void
describe(gdcm::ImageCodec &c, const struct dcmfile_image *img)
{
	unsigned int dims[3] = { img->cols, img->rows, 1 };

	/* JPEGCodec hands these to the codec of the precision that
	 * SetPixelFormat picks: they must be set before it */
	c.SetNumberOfDimensions(2);
	c.SetDimensions(dims);
	c.SetPhotometricInterpretation(gdcm::PhotometricInterpretation(
	    gdcm::PhotometricInterpretation::GetPIType(img->photometric)));
	c.SetPlanarConfiguration(img->planar ? 1 : 0);
	c.SetNeedByteSwap(false);
	c.SetPixelFormat(gdcm::PixelFormat(img->samples, img->bits_allocated,
	    img->bits_stored, img->high_bit, img->pixel_rep));
}

size_t
frame_size(const struct dcmfile_image *img)
{
	return static_cast<size_t>(img->rows) * img->cols * img->samples *
	    (img->bits_allocated / 8u);
}

int
decode(const char *ts_uid, const struct dcmfile_image *img, const void *in,
    size_t in_len, void *out, size_t out_len, unsigned threads,
    struct dcmfile_image *got, struct cs_err *err)
{
	const ts_entry *rule = find_codec(ts_uid);
	codecs c;

	if (rule == nullptr)
		return cs_err_set(
		    err, CS_E_UNSUPPORTED, "no pixel decoder for %s", ts_uid);
	if (in_len > 0xfffffff0u || out_len != frame_size(img))
		return cs_err_set(err, CS_E_INVAL,
		    "frame of %zu bytes for a %zu-byte image", out_len,
		    frame_size(img));
	gdcm::ImageCodec &codec = c.pick(rule->codec, threads);
	describe(codec, img);
	if (rule->codec == TS_CODEC_JPEG) {
		int prec =
		    jpeg_precision(static_cast<const uint8_t *>(in), in_len);
		if (prec > 0)
			c.jpeg->precision(prec);
	}

	gdcm::SmartPointer<gdcm::SequenceOfFragments> sq =
	    new gdcm::SequenceOfFragments;
	gdcm::Fragment frag;
	frag.SetByteValue(
	    static_cast<const char *>(in), static_cast<uint32_t>(in_len));
	sq->AddFragment(frag);
	gdcm::DataElement src(gdcm::Tag(0x7fe0, 0x0010));
	src.SetValue(*sq);
	gdcm::DataElement dst;
	jpeg_damage.clear();
	bool ok = codec.Decode(src, dst);
	if (!jpeg_damage.empty())
		return cs_err_set(err, CS_E_PROTO,
		    "the %s stream is damaged (libjpeg: %s)", ts_uid,
		    jpeg_damage.c_str());
	if (!ok)
		return cs_err_set(
		    err, CS_E_UNSUPPORTED, "the %s decoder failed", ts_uid);
	const gdcm::ByteValue *bv = dst.GetByteValue();
	const gdcm::PixelFormat &pf = codec.GetPixelFormat();
	if (bv == nullptr || bv->GetLength() < out_len ||
	    bv->GetLength() > out_len + 1)
		return cs_err_set(err, CS_E_PROTO,
		    "the %s decoder gave %lu bytes for a %zu-byte frame",
		    ts_uid,
		    bv == nullptr ? 0ul
				  : static_cast<unsigned long>(bv->GetLength()),
		    out_len);
	if (pf.GetBitsAllocated() != img->bits_allocated ||
	    pf.GetSamplesPerPixel() != img->samples)
		return cs_err_set(err, CS_E_PROTO,
		    "the %s decoder gave %u samples of %u bits, not %u of %u",
		    ts_uid, pf.GetSamplesPerPixel(), pf.GetBitsAllocated(),
		    img->samples, img->bits_allocated);
	std::memcpy(out, bv->GetPointer(), out_len);
	*got = *img;
	got->planar = static_cast<uint16_t>(codec.GetPlanarConfiguration());
	const char *pi = codec.GetPhotometricInterpretation().GetString();
	if (pi != nullptr && pi[0] != '\0') {
		std::string t(pi);
		while (!t.empty() && (t.back() == ' ' || t.back() == '\0'))
			t.pop_back();
		if (t.size() < sizeof(got->photometric))
			std::memcpy(got->photometric, t.c_str(), t.size() + 1);
	}
	return 0;
}

/*
 * GDCM 3.0.21 codes a JPEG 2000 frame into a buffer twice the frame's
 * size and its write callback never checks the end: valgrind sees a
 * 13x13 8-bit noise image (a 350-byte codestream) write past its 340
 * bytes.  The codestream is at most the samples and an eighth (lossless;
 * an eighth lossy) plus headers, seen under 250 bytes: a frame is coded
 * only when that bound fits.
 */
bool
j2k_fits(const struct dcmfile_image *img, bool lossy)
{
	uint64_t raw = uint64_t{ img->rows } * img->cols * img->samples *
	    ((img->bits_allocated + 7u) / 8u);
	uint64_t need = (lossy ? raw / 8 : raw + raw / 8) + 384;

	return 2 * raw >= need;
}

int
encode(const char *ts_uid, const struct dcmfile_image *img, const void *in,
    size_t in_len, int lossy, uint8_t **out, size_t *out_len,
    struct cs_err *err)
{
	const ts_entry *rule = find_codec(ts_uid);
	codecs c;

	if (rule == nullptr || !(rule->flags & TS_F_WRITE))
		return cs_err_set(
		    err, CS_E_UNSUPPORTED, "no pixel encoder for %s", ts_uid);
	bool lossy_ts = (rule->flags & TS_F_LOSSY) != 0;
	if (lossy_ts && !lossy)
		return cs_err_set(
		    err, CS_E_INVAL, "%s is lossy: not allowed", ts_uid);
	if (in_len != frame_size(img) || in_len > 0xfffffff0u)
		return cs_err_set(err, CS_E_INVAL,
		    "frame of %zu bytes for a %zu-byte image", in_len,
		    frame_size(img));
	gdcm::ImageCodec &codec = c.pick(rule->codec);
	switch (rule->codec) {
	case TS_CODEC_JPEG:
		c.jpeg->SetLossless(!lossy_ts);
		if (lossy_ts)
			c.jpeg->SetQuality(90);
		break;
	case TS_CODEC_JPEGLS:
		c.jpegls->SetLossless(!lossy_ts);
		if (lossy_ts)
			c.jpegls->SetLossyError(
			    2); /* NEAR 2, as dcmcjpls +en */
		break;
	case TS_CODEC_J2K:
		if (!j2k_fits(img, lossy_ts))
			return cs_err_set(err, CS_E_UNSUPPORTED,
			    "%ux%u is too small for GDCM's JPEG 2000 encoder "
			    "(its codestream could overrun GDCM's buffer)",
			    img->cols, img->rows);
		c.j2k->SetReversible(!lossy_ts);
		if (lossy_ts)
			c.j2k->SetRate(0, 10);
		break;
	case TS_CODEC_NONE:
	case TS_CODEC_NATIVE:
	case TS_CODEC_RLE:
		break;
	}
	describe(codec, img);
	gdcm::DataElement src(gdcm::Tag(0x7fe0, 0x0010));
	src.SetVR(img->bits_allocated > 8 ? gdcm::VR::OW : gdcm::VR::OB);
	src.SetByteValue(
	    static_cast<const char *>(in), static_cast<uint32_t>(in_len));
	gdcm::DataElement dst;
	if (!codec.Code(src, dst))
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "the %s encoder refused %u samples of %u bits", ts_uid,
		    img->samples, img->bits_stored);
	const gdcm::SequenceOfFragments *sq = dst.GetSequenceOfFragments();
	if (sq == nullptr || sq->GetNumberOfFragments() == 0)
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "the %s encoder gave no fragment", ts_uid);
	size_t n = 0;
	for (size_t i = 0; i < sq->GetNumberOfFragments(); i++) {
		const gdcm::ByteValue *bv = sq->GetFragment(i).GetByteValue();
		n += bv != nullptr ? static_cast<size_t>(bv->GetLength()) : 0;
	}
	uint8_t *buf = static_cast<uint8_t *>(std::malloc(n > 0 ? n : 1));
	if (buf == nullptr)
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	n = 0;
	for (size_t i = 0; i < sq->GetNumberOfFragments(); i++) {
		const gdcm::ByteValue *bv = sq->GetFragment(i).GetByteValue();
		if (bv == nullptr)
			continue;
		std::memcpy(buf + n, bv->GetPointer(), bv->GetLength());
		n += bv->GetLength();
	}
	*out = buf;
	*out_len = n;
	return 0;
}

} // namespace

extern "C" CS_GDCM_ENTRY int
cstore_gdcm_decode(const char *ts_uid, const struct dcmfile_image *img,
    const void *in, size_t in_len, void *out, size_t out_len, unsigned threads,
    struct dcmfile_image *got, struct cs_err *err)
{
	return guarded(err, "decode a frame", [&] {
		return decode(ts_uid, img, in, in_len, out, out_len, threads,
		    got, err);
	});
}

extern "C" CS_GDCM_ENTRY int
cstore_gdcm_encode(const char *ts_uid, const struct dcmfile_image *img,
    const void *in, size_t in_len, int lossy, uint8_t **out, size_t *out_len,
    struct cs_err *err)
{
	return guarded(err, "encode a frame", [&] {
		return encode(
		    ts_uid, img, in, in_len, lossy, out, out_len, err);
	});
}

extern "C" CS_GDCM_ENTRY size_t
cstore_gdcm_messages(char *buf, size_t cap)
{
	try {
		size_t n = codec_msgs.size();

		if (buf == nullptr || cap == 0)
			return 0;
		if (n >= cap)
			n = cap - 1;
		std::memcpy(buf, codec_msgs.data(), n);
		buf[n] = '\0';
		codec_msgs.clear();
		return n;
	} catch (...) {
		return 0;
	}
}

/* ---- end of pixel codecs section ------------------------------------ */

/* ---- GDCM's UID dictionary (section owner: registries) -------------- */
/*
 * NOTE from h-file: this section was lost when the transcoding section
 * overwrote the file at 13:48; it is rebuilt here from the contract in
 * dcmfile.h.  The registries developer may replace it with their own.
 */

extern "C" CS_GDCM_ENTRY size_t
cstore_gdcm_uid_count(void)
{
	try {
		return gdcm::UIDs::GetNumberOfTransferSyntaxStrings();
	} catch (...) {
		return 0;
	}
}

extern "C" CS_GDCM_ENTRY int
cstore_gdcm_uid_at(size_t i, const char **uid, const char **name)
{
	try {
		const char *const *entry = nullptr;

		*uid = nullptr;
		*name = nullptr;
		if (i < gdcm::UIDs::GetNumberOfTransferSyntaxStrings())
			entry = gdcm::UIDs::GetTransferSyntaxString(
			    static_cast<unsigned int>(i));
		if (entry == nullptr || entry[0] == nullptr ||
		    entry[0][0] == '\0')
			return CS_E_NOTFOUND;
		*uid = entry[0];
		*name = entry[1];
		return 0;
	} catch (...) {
		*uid = nullptr;
		*name = nullptr;
		return CS_E_NOTFOUND;
	}
}

/* ---- end of GDCM UID dictionary section ----------------------------- */

/* ---- module entry points (gdcm_module.h) ----------------------------- */

extern "C" CS_GDCM_ENTRY void
cstore_gdcm_trace(int on)
{
	try {
		set_trace(on != 0);
	} catch (...) {
		/* a lock that cannot be taken: the setting stays as it was */
	}
}

extern "C" CS_GDCM_ENTRY int
cstore_gdcm_abi(void)
{
	return CSTORE_GDCM_ABI;
}
