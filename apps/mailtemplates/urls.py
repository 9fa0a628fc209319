from django.urls import path

from . import views, views_blocks, views_builder, views_inbox, views_sendtest

app_name = "mailtemplates"

urlpatterns = [
    path("", views.index_view, name="index"),
    path("sync/", views.sync_view, name="sync"),
    path("new/", views.create_view, name="create"),
    path("builder/new/", views_builder.builder_view, name="builder-new"),
    path("letter/new/", views_builder.richtext_view, name="richtext-new"),
    path("gallery/", views_builder.gallery_view, name="gallery"),
    path("blocks/", views_blocks.blocks_view, name="blocks"),
    path("blocks/<int:pk>/", views_blocks.blocks_view, name="block"),
    path("blocks/<int:pk>/apply/", views_blocks.block_apply_view, name="block-apply"),
    path("gallery/<slug:slug>/frame/", views_builder.gallery_frame_view, name="gallery-frame"),
    path("text-from-html/", views.text_from_html_view, name="text-from-html"),
    path("lint/", views.lint_view, name="lint"),
    path("merge-tags/", views.merge_tags_view, name="merge-tags"),
    path("preview/draft/", views.preview_draft_view, name="preview-draft"),
    path("<int:pk>/", views.edit_view, name="edit"),
    path("<int:pk>/status/", views.status_view, name="status"),
    path("<int:pk>/recheck/", views.recheck_view, name="recheck"),
    path("<int:pk>/delete/", views.delete_view, name="delete"),
    path("<int:pk>/builder/", views_builder.builder_view, name="builder"),
    path("<int:pk>/letter/", views_builder.richtext_view, name="richtext"),
    path("<int:pk>/inbox/", views_inbox.inbox_view, name="inbox"),
    path("<int:pk>/test-send/", views_sendtest.test_send_view, name="test-send"),
    path("<int:pk>/preview/", views.preview_view, name="preview"),
    path("<int:pk>/preview/frame/", views.preview_frame_view, name="preview-frame"),
    path("<int:pk>/attachments/", views.attachments_add_view, name="attachments-add"),
    path(
        "<int:pk>/attachments/all/delete/",
        views.attachment_delete_view,
        name="attachments-delete-all",
    ),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/delete/",
        views.attachment_delete_view,
        name="attachment-delete",
    ),
]
