"""Forms of the Contacts pages: search, opt out by hand, erase (confirm), import upload."""

from __future__ import annotations

from django import forms

MAX_IMPORT_BYTES = 20 * 1024 * 1024


class ContactSearchForm(forms.Form):
    q = forms.CharField(label="Phone number", max_length=40, required=False,
                        widget=forms.TextInput(attrs={"placeholder": "+1 415 555 0123",
                                                      "inputmode": "tel"}))


class OptOutForm(forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=400, strip=True,
        help_text="Where and how the person asked, e.g. “e-mail to support, 3 March”. It is "
                  "kept in the consent ledger.",
        widget=forms.Textarea(attrs={"rows": 2}))


class EraseForm(forms.Form):
    last_four = forms.CharField(label="Type the number's last four digits to confirm",
                                max_length=4, min_length=4)

    def __init__(self, *args, phone: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.phone = phone

    def clean_last_four(self) -> str:
        value = self.cleaned_data["last_four"]
        if value != self.phone[-4:]:
            raise forms.ValidationError("These are not the last four digits of this number.")
        return value


class ImportUploadForm(forms.Form):
    file = forms.FileField(label="CSV or JSONL file",
                           help_text="Columns: phone, first_name…, consent_status, consent_text "
                                     "(or text_version and text_sha256), consented_at, "
                                     "source_detail, ip.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB; split it or use "
                                        "manage.py import_contacts.")
        name = upload.name.lower()
        if not name.endswith((".csv", ".jsonl", ".ndjson", ".json", ".txt")):
            raise forms.ValidationError("Upload a .csv or .jsonl file.")
        try:
            upload.text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text.") from None
        if "\x00" in upload.text:
            raise forms.ValidationError("The file contains NUL bytes: is it a spreadsheet "
                                        "rather than CSV?")
        return upload
