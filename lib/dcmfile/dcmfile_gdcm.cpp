/*
 * dcmfile_gdcm.cpp - the GDCM adapter: the only C++ in cstore.  Each
 * extern "C" function catches everything: no exception crosses into C
 * (STYLE.md 3.7).  Sections belong to different developers.
 *
 * Built into the module cstore-gdcm.so (not into libcstore.a), which
 * dcmfile_load.c dlopens on first use; the module exports only the
 * entry points of gdcm_module.h.
 */
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <streambuf>
#include <string>

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
#include <gdcmTrace.h>
#include <gdcmTransferSyntax.h>
#include <gdcmUIDs.h>
#include <gdcmWriter.h>

#include "dcmfile/dcmfile.h"
#include "dcmfile/gdcm_module.h"
#include "dcmfile/part10.h"

/* ---- transcoding (section owner: file I/O and transcoding) ---------- */

namespace {

enum ts_target { TS_NO_TARGET, TS_LOSSLESS, TS_LOSSY };

struct ts_rule {
	const char *uid;
	bool decodable;   /* GDCM reads and decodes it */
	ts_target target; /* what writing it means for the pixels */
};

/* PS3.6 Table A-1 / PS3.5 Annex A: the syntaxes this adapter handles. */
const ts_rule ts_rules[] = {
	{ PART10_TS_IVRLE, true, TS_LOSSLESS },
	{ PART10_TS_EVRLE, true, TS_LOSSLESS },
	{ PART10_TS_DEFLATED, true, TS_LOSSLESS },
	{ PART10_TS_EVRBE, true, TS_LOSSLESS },
	{ "1.2.840.10008.1.2.4.50", true, TS_LOSSY },     /* JPEG Baseline */
	{ "1.2.840.10008.1.2.4.51", true, TS_LOSSY },     /* JPEG Extended */
	{ "1.2.840.10008.1.2.4.57", true, TS_NO_TARGET }, /* JPEG Lossless */
	{ "1.2.840.10008.1.2.4.70", true, TS_LOSSLESS },  /* JPEG Lossless SV1 */
	{ "1.2.840.10008.1.2.4.80", true, TS_LOSSLESS },  /* JPEG-LS Lossless */
	{ "1.2.840.10008.1.2.4.81", true, TS_LOSSY },     /* JPEG-LS Near-Lossless */
	{ "1.2.840.10008.1.2.4.90", true, TS_LOSSLESS },  /* JPEG 2000 Lossless */
	{ "1.2.840.10008.1.2.4.91", true, TS_LOSSY },     /* JPEG 2000 */
	{ "1.2.840.10008.1.2.5", true, TS_LOSSLESS },     /* RLE Lossless */
};

const ts_rule *
find_rule(const char *uid)
{
	if (uid == nullptr)
		return nullptr;
	for (const ts_rule &r : ts_rules)
		if (std::strcmp(r.uid, uid) == 0)
			return &r;
	return nullptr;
}

/* A write-only streambuf over a file descriptor, remembering errno. */
class fd_streambuf : public std::streambuf {
public:
	explicit fd_streambuf(int fd) : fd_(fd), errno_(0)
	{
		setp(buf_, buf_ + sizeof(buf_));
	}
	int error() const { return errno_; }

protected:
	int_type overflow(int_type c) override
	{
		if (flush_buf() != 0)
			return traits_type::eof();
		if (!traits_type::eq_int_type(c, traits_type::eof())) {
			*pptr() = traits_type::to_char_type(c);
			pbump(1);
		}
		return traits_type::not_eof(c);
	}
	int sync() override { return flush_buf(); }
	pos_type seekoff(off_type off, std::ios_base::seekdir dir,
	    std::ios_base::openmode) override
	{
		int whence = dir == std::ios_base::beg ? SEEK_SET :
		    dir == std::ios_base::cur ? SEEK_CUR : SEEK_END;
		if (flush_buf() != 0)
			return pos_type(off_type(-1));
		off_t r = lseek(fd_, off, whence);
		return r < 0 ? pos_type(off_type(-1)) : pos_type(off_type(r));
	}
	pos_type seekpos(pos_type pos, std::ios_base::openmode m) override
	{
		return seekoff(off_type(pos), std::ios_base::beg, m);
	}

private:
	int flush_buf()
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
    const ts_rule &target, std::ostream &os, struct cs_err *err)
{
	gdcm::TransferSyntax to(gdcm::TransferSyntax::GetTSType(target.uid));
	gdcm::TransferSyntax from(gdcm::TransferSyntax::GetTSType(src.ts_uid));
	gdcm::Reader reader;

	reader.SetFileName(path);
	if (!reader.Read())
		return cs_err_set(err, CS_E_NOTDICOM, "GDCM cannot read '%s'", path);
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
		if (target.target == TS_LOSSY)
			set_lossy_codec(change, codecs, to);
		change.SetInput(pr.GetPixmap());
		if (!change.Change())
			return cs_err_set(err, CS_E_UNSUPPORTED,
			    "GDCM cannot code the pixel data of '%s' in %s", path,
			    target.uid);
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
plain_encoding(const char *ts)
{
	if (std::strcmp(ts, PART10_TS_IVRLE) == 0)
		return PART10_TS_IVRLE;
	if (std::strcmp(ts, PART10_TS_EVRBE) == 0)
		return PART10_TS_EVRBE;
	if (std::strcmp(ts, PART10_TS_DEFLATED) == 0)
		return nullptr; /* a bare deflated stream cannot be sniffed */
	return PART10_TS_EVRLE; /* PS3.5 A.4: encapsulated is Explicit VR LE */
}

int
transcode(const char *path, const char *ts_uid, int allow_lossy,
    struct dcmfile_transcoded *out, struct cs_err *err)
{
	struct part10_info src, got;
	const ts_rule *target = find_rule(ts_uid);
	int rc;

	/* GDCM reports on stderr by default; we report through err */
	gdcm::Trace::SetDebug(false);
	gdcm::Trace::SetWarning(false);
	gdcm::Trace::SetError(false);
	if ((rc = part10_probe_path(path, 0, &src, err)) < 0)
		return rc;
	if (target == nullptr)
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "cannot transcode to '%s': unknown transfer syntax", ts_uid);
	if (!dcmfile_can_transcode(src.ts_uid, ts_uid, allow_lossy))
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "cannot transcode '%s' from %s to %s%s", path, src.ts_uid,
		    ts_uid, target->target == TS_LOSSY && !allow_lossy ?
		    ": lossy compression not allowed" : "");

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
			rc = cs_err_set(err, e == ENOSPC ? CS_E_NOSPACE : CS_E_IO,
			    "cannot write the transcoded dataset: %s",
			    std::strerror(e));
		}
	}
	off_t len = rc == 0 ? lseek(fd, 0, SEEK_END) : -1;
	if (rc == 0 && (len < 0 || lseek(fd, 0, SEEK_SET) != 0))
		rc = cs_err_set(err, CS_E_IO, "cannot seek the transcoded dataset: %s",
		    std::strerror(errno));
	/* check GDCM's output with our own prober: same UIDs, right encoding */
	const char *enc = plain_encoding(target->uid);
	if (rc == 0 && enc != nullptr) {
		struct cs_err perr = { 0, "" };

		if (part10_probe_fd(fd, 0, &got, &perr) < 0)
			rc = cs_err_set(err, CS_E_UNSUPPORTED,
			    "GDCM wrote an unreadable dataset for '%s': %s", path,
			    perr.msg);
		else if (got.kind != PART10_BARE || std::strcmp(got.ts_uid, enc) != 0)
			rc = cs_err_set(err, CS_E_UNSUPPORTED,
			    "GDCM wrote '%s' as %s instead of %s", path, got.ts_uid, enc);
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
	out->lossy = target->target == TS_LOSSY &&
	    std::strcmp(src.ts_uid, target->uid) != 0;
	return 0;
}

} // namespace

extern "C" CS_GDCM_ENTRY int
cstore_gdcm_transcode(const char *path, const char *ts_uid, int allow_lossy,
    struct dcmfile_transcoded *out, struct cs_err *err)
{
	if (out != nullptr) {
		out->fd = -1;
		out->length = 0;
		out->ts_uid[0] = '\0';
		out->lossy = 0;
	}
	if (path == nullptr || ts_uid == nullptr || out == nullptr)
		return cs_err_set(err, CS_E_INVAL, "dcmfile_transcode: NULL argument");
	try {
		return transcode(path, ts_uid, allow_lossy, out, err);
	} catch (const std::bad_alloc &) {
		return cs_err_set(err, CS_E_NOMEM, "cannot transcode '%s': out of memory", path);
	} catch (const std::exception &e) {
		return cs_err_set(err, CS_E_UNSUPPORTED, "cannot transcode '%s': %s", path, e.what());
	} catch (...) {
		return cs_err_set(err, CS_E_UNSUPPORTED,
		    "cannot transcode '%s': GDCM failed", path);
	}
}

/* ---- end of transcoding section ------------------------------------- */

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
		if (entry == nullptr || entry[0] == nullptr || entry[0][0] == '\0')
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

extern "C" CS_GDCM_ENTRY int
cstore_gdcm_abi(void)
{
	return CSTORE_GDCM_ABI;
}
