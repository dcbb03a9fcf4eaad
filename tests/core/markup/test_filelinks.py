"""[[File:...]], relative file links and images, in Markdown and raw HTML: where they point,
what a missing file looks like, and which files a page is recorded as using."""
from wiki.core.importfiles import FileReference, file_references
from wiki.core.markup import render_markdown
from wiki.core.markup.filelinks import FileRef, FileTarget


def resolver(page, name):
    owner = page or "Here"
    if name in ("a.png", "paper.pdf"):
        return FileTarget(f"/wiki/{owner}/-/files/{name}", True, name.endswith(".png"))
    return FileTarget(f"/wiki/{owner}/-/files?name={name}#upload", False)


def render(text):
    return render_markdown(text, file_resolver=resolver)


def test_file_embeds_and_links():
    html = render("[[File:a.png|The diagram]] [[File:paper.pdf]] [[File:Other page/a.png]]").html
    assert '<img alt="The diagram" src="/wiki/Here/-/files/a.png">' in html
    assert '<a href="/wiki/Here/-/files/paper.pdf">paper.pdf</a>' in html
    assert 'src="/wiki/Other page/-/files/a.png"' in html


def test_a_missing_file_is_a_red_link_to_the_upload_form():
    html = render("[[File:gone.png]] ![Alt](files/gone.png) [nb](notebook.ipynb)").html
    assert html.count('class="missing-file"') == 3
    assert 'href="/wiki/Here/-/files?name=gone.png#upload" title="missing file: upload it">gone.png</a>' in html
    assert ">Alt</a>" in html and ">nb</a>" in html


def test_relative_links_to_non_markdown_targets_are_absolute_files():
    html = render("![x](images/a.png) [doc](docs/paper.pdf) [page](Other) [md](guide.md)").html
    assert 'src="/wiki/Here/-/files/a.png"' in html and 'href="/wiki/Here/-/files/paper.pdf"' in html
    assert 'href="Other"' in html and 'href="guide.md"' in html  # not files: left to the page links


def test_raw_html_images_and_links_are_rewritten_too():
    html = render('<p align="center"><img src="images/a.png" alt="A"> <img src="images/z.png"> '
                  '<a href="deck.apkg">deck</a></p>').html
    assert '<img src="/wiki/Here/-/files/a.png" alt="A">' in html
    assert '<a href="/wiki/Here/-/files?name=z.png#upload" class="missing-file"' in html
    assert 'class="missing-file" title="missing file: upload it" href="/wiki/Here/-/files?name=deck.apkg#upload"' in html


def test_code_stays_literal_and_files_are_collected_once_in_order():
    result = render("`[[File:a.png]]`\n\n[[File:b.txt]] ![x](files/a.png) [[File:b.txt]]")
    assert "[[File:a.png]]" in result.html
    assert result.files == (FileRef("", "b.txt"), FileRef("", "a.png"))


def test_a_missing_image_inside_a_link_is_no_nested_link():
    html = render("[![x](images/gone.png)](https://example.org)").html
    assert '<span class="missing-file"' in html


def test_import_finds_the_files_a_markdown_file_refers_to():
    text = ("![a](images/a.png) [nb](../nb/notebook.ipynb) [p](page.md) <img src='images/b.png'>\n\n"
            "[ref]: images/c.png\n\n```\n![no](images/code.png)\n```\n[out](../../outside.png)")
    assert file_references(text, "docs/guide.md") == [
        FileReference("a.png", "docs/images/a.png"), FileReference("notebook.ipynb", "nb/notebook.ipynb"),
        FileReference("b.png", "docs/images/b.png"), FileReference("c.png", "docs/images/c.png"),
        FileReference("outside.png", ""),
    ]
